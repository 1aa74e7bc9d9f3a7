"""De-identification of results (`--deidentify`) and the logging policy.

Outputs normally carry the episode (visit) id and patient id so QC staff can find the record.
With `--deidentify` both are replaced by a keyed hash (HMAC-SHA256 with the site's secret, so
the same patient gets the same pseudonym in every run with the same key, and nobody without the
key can reverse or recompute it); names never appear in outputs at all (rules may not put
`patient.name` or free text into messages — the compiler refuses it).

Logs never contain patient names, identifiers or free text: they name files, line or message
numbers, rule ids and counts only.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os

from emrlint.api import EpisodeResult
from emrlint.config import Config
from emrlint.errors import UsageError
from emrlint.model import Clinician, Episode
from emrlint.parsers import InputProblem

__all__ = ["DEIDENTIFY_KEY_ENV", "Pseudonymizer", "deidentify_key"]

DEIDENTIFY_KEY_ENV = "EMRLINT_DEIDENTIFY_KEY"
_MIN_KEY_LENGTH = 16


def deidentify_key(config: Config) -> bytes:
    """The site secret: `[site] deidentify_key` in emrlint.toml, else the environment."""
    key = config.deidentify_key or os.environ.get(DEIDENTIFY_KEY_ENV)
    if not key:
        raise UsageError(
            f"--deidentify needs a site secret: set {DEIDENTIFY_KEY_ENV} or [site] "
            "deidentify_key in emrlint.toml"
        )
    if len(key) < _MIN_KEY_LENGTH:
        raise UsageError(
            f"the de-identification key must be at least {_MIN_KEY_LENGTH} characters long"
        )
    return key.encode("utf-8")


@dataclasses.dataclass(frozen=True)
class Pseudonymizer:
    key: bytes

    def pseudonym(self, value: str | None, prefix: str) -> str | None:
        if value is None:
            return None
        digest = hmac.new(self.key, f"{prefix}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:16]}"

    def result(self, result: EpisodeResult | InputProblem) -> EpisodeResult | InputProblem:
        """The same result with episode and patient ids replaced, and the episode (which
        reporters draw timelines and strata from) stripped of names and free text."""
        if isinstance(result, InputProblem):
            return dataclasses.replace(result, episode_id=self.pseudonym(result.episode_id, "E"))
        episode_id = self.pseudonym(result.episode_id, "E") or ""
        outcomes = [
            dataclasses.replace(
                outcome,
                episode_id=episode_id,
                patient_id=self.pseudonym(outcome.patient_id, "P"),
                subject=dataclasses.replace(outcome.subject, id=episode_id)
                if outcome.subject.type == "episode"
                else outcome.subject,
            )
            for outcome in result.outcomes
        ]
        episode = result.episode
        if episode is not None:
            episode = self.episode(episode, episode_id)
        return EpisodeResult(episode_id, outcomes, episode)

    def episode(self, episode: Episode, episode_id: str) -> Episode:
        patient = episode.patient.model_copy(
            update={"id": self.pseudonym(episode.patient.id, "P"), "name": None}
        )
        documents = [
            document.model_copy(
                update={
                    "text": None,
                    "title": None,
                    "author": _anonymous(document.author),
                    "participants": [_anonymous(c) for c in document.participants],
                }
            )
            for document in episode.documents
        ]
        return episode.model_copy(
            update={"id": episode_id, "patient": patient, "documents": documents}
        )


def _anonymous(clinician: Clinician | None) -> Clinician | None:
    """Staff stay identifiable by staff number and rank (QC reviews by doctor), never by name."""
    return clinician.model_copy(update={"name": None}) if clinician is not None else None

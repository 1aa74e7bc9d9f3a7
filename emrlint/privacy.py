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
from typing import TypeVar

from emrlint.api import EpisodeResult
from emrlint.config import Config
from emrlint.errors import UsageError
from emrlint.model import Clinician, Episode
from emrlint.outcomes import FoundItem, Outcome, Subject
from emrlint.parsers import InputProblem

__all__ = ["DEIDENTIFY_KEY_ENV", "Pseudonymizer", "deidentify_key", "deidentify_key_origin"]

DEIDENTIFY_KEY_ENV = "EMRLINT_DEIDENTIFY_KEY"
_MIN_KEY_LENGTH = 16

_Named = TypeVar("_Named", Subject, FoundItem)
# Subjects and evidence items that are the episode or the patient carry their ids.
_PREFIXES = {"episode": "E", "patient": "P"}


def deidentify_key(config: Config) -> bytes:
    """The site secret: `[site] deidentify_key` in emrlint.toml, else the environment."""
    found = _key_and_origin(config)
    if found is None:
        raise UsageError(
            f"--deidentify needs a site secret: set {DEIDENTIFY_KEY_ENV} or [site] "
            "deidentify_key in emrlint.toml"
        )
    key, _ = found
    if len(key) < _MIN_KEY_LENGTH:
        raise UsageError(
            f"the de-identification key must be at least {_MIN_KEY_LENGTH} characters long"
        )
    return key.encode("utf-8")


def deidentify_key_origin(config: Config) -> str | None:
    """Where the key `--deidentify` would use comes from (for `emrlint config --show`): the
    file and line of `[site] deidentify_key`, or the environment variable; None without a key.
    Never the key itself, nor anything computed from it but whether it is long enough."""
    found = _key_and_origin(config)
    if found is None:
        return None
    key, origin = found
    if config.deidentify_key and os.environ.get(DEIDENTIFY_KEY_ENV):
        origin += f" ({DEIDENTIFY_KEY_ENV} is set too, and not used)"
    if len(key) < _MIN_KEY_LENGTH:
        origin += f"; too short for --deidentify, which needs {_MIN_KEY_LENGTH} characters"
    return origin


def _key_and_origin(config: Config) -> tuple[str, str] | None:
    """The site secret and where it was set: emrlint.toml first, else the environment."""
    if config.deidentify_key:
        return config.deidentify_key, config.origins.get("site.deidentify_key", "emrlint.toml")
    from_environment = os.environ.get(DEIDENTIFY_KEY_ENV)
    if from_environment:
        return from_environment, f"from {DEIDENTIFY_KEY_ENV}"
    return None


@dataclasses.dataclass(frozen=True)
class Pseudonymizer:
    key: bytes

    def pseudonym(self, value: str | None, prefix: str) -> str | None:
        if value is None:
            return None
        digest = hmac.new(self.key, f"{prefix}:{value}".encode(), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:16]}"

    def result(self, result: EpisodeResult | InputProblem) -> EpisodeResult | InputProblem:
        """The same result with episode and patient ids replaced wherever an outcome carries
        them (its own fields, its subject, the evidence items found or found late), and the
        episode (which reporters draw timelines and strata from) stripped of names and free
        text."""
        if isinstance(result, InputProblem):
            return dataclasses.replace(result, episode_id=self.pseudonym(result.episode_id, "E"))
        episode_id = self.pseudonym(result.episode_id, "E") or ""
        outcomes = [self.outcome(outcome, episode_id) for outcome in result.outcomes]
        episode = result.episode
        if episode is not None:
            episode = self.episode(episode, episode_id)
        return dataclasses.replace(
            result, episode_id=episode_id, outcomes=outcomes, episode=episode
        )

    def outcome(self, outcome: Outcome, episode_id: str) -> Outcome:
        """One outcome with the episode id (already pseudonymised as `episode_id`) and the
        patient id replaced in every field that can hold them."""
        evidence = outcome.evidence
        return dataclasses.replace(
            outcome,
            episode_id=episode_id,
            patient_id=self.pseudonym(outcome.patient_id, "P"),
            subject=self._named(outcome.subject),
            evidence=dataclasses.replace(
                evidence,
                found=tuple(self._named(item) for item in evidence.found),
                nearest=self._named(evidence.nearest) if evidence.nearest is not None else None,
            ),
        )

    def _named(self, item: _Named) -> _Named:
        """A subject or evidence item that is the episode or the patient, under its pseudonym
        (a rule on an episode time, e.g. `archived_at`, finds the episode itself)."""
        prefix = _PREFIXES.get(item.type)
        if prefix is None:
            return item
        return dataclasses.replace(item, id=self.pseudonym(item.id, prefix) or "")

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

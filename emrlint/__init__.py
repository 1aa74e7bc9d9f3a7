"""emrlint: a rules engine and compliance linter for inpatient medical records.

import emrlint
config = emrlint.load_config()
rules = emrlint.load_rules(config)
for result in emrlint.check(["records.jsonl"], config, rules, as_of):
    ...
"""

__version__ = "0.1.0"

from emrlint.api import EpisodeResult, LoadedRules, check, evaluate, load_rules, parse_as_of
from emrlint.config import Config, load_config
from emrlint.errors import ConfigError, EmrlintError, RulebookError, UsageError
from emrlint.model import Episode
from emrlint.outcomes import Evidence, Outcome, Severity, Status, Subject
from emrlint.parsers import InputProblem

__all__ = [
    "Config",
    "ConfigError",
    "EmrlintError",
    "Episode",
    "EpisodeResult",
    "Evidence",
    "InputProblem",
    "LoadedRules",
    "Outcome",
    "RulebookError",
    "Severity",
    "Status",
    "Subject",
    "UsageError",
    "__version__",
    "check",
    "evaluate",
    "load_config",
    "load_rules",
    "parse_as_of",
]

"""emrlint: a rules engine and compliance linter for inpatient medical records."""

__version__ = "0.1.0"

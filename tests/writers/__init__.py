"""Tests of the writers (episodes out to FHIR and other formats)."""

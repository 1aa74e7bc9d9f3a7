"""Writers: episodes out to other formats (FHIR R4 bundles, HL7 v2 messages, native JSON), so
that sample inputs can be produced from native examples and round trips can be tested."""

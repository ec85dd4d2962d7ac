"""The knowledge kg reads: ontology resources, vocabularies, lexicons and their patterns."""

"""RDF: writing the graph, reading it back, the store, SPARQL queries and SHACL validation."""

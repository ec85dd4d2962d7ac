"""What users read: documents.jsonl, views, HTML pages, analyses and exports."""

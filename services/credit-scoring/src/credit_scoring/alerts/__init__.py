"""The alerts noun: early warnings (预警) recorded once and published, and their acknowledgement."""

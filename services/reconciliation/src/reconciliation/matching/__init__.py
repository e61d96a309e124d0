"""Matching: the engine that decides whose money arrived (index, engine, reasons) and the reads that feed it."""

"""Errors of statement uploads, imports and CSV profiles."""

from __future__ import annotations

from arflow.problems import NotFound, Problem, Unprocessable


class UnsupportedMediaType(Problem):
    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class UploadMalformed(Unprocessable):
    code, title = "upload_malformed", "Upload malformed"


class UploadMissingFile(Unprocessable):
    code, title = "upload_missing_file", "Upload has no file"


class StatementMalformed(Unprocessable):
    code, title = "statement_malformed", "Statement malformed"


class StatementFormatUnknown(Unprocessable):
    code, title = "statement_format_unknown", "Statement format unknown"


class StatementImportNotFound(NotFound):
    code, title = "statement_import_not_found", "Statement import not found"


class CsvProfileUnknown(Unprocessable):
    code, title = "csv_profile_unknown", "CSV profile unknown"


class CsvProfileNameMismatch(Unprocessable):
    code, title = "csv_profile_name_mismatch", "CSV profile name mismatch"


class CsvProfileBuiltIn(Unprocessable):
    code, title = "csv_profile_built_in", "CSV profile is built in"

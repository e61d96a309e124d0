"""Errors of statement uploads, imports and CSV profiles."""

from __future__ import annotations

from arflow.problems import NotFound, Problem, Unprocessable


class UnsupportedMediaType(Problem):
    status, code, title, title_zh = 415, "unsupported_media_type", "Unsupported media type", "不支持的媒体类型"


class UploadMalformed(Unprocessable):
    code, title, title_zh = "upload_malformed", "Upload malformed", "上传内容无法读取"


class UploadMissingFile(Unprocessable):
    code, title, title_zh = "upload_missing_file", "Upload has no file", "上传内容缺少文件"


class StatementMalformed(Unprocessable):
    code, title, title_zh = "statement_malformed", "Statement malformed", "对账单文件格式错误"


class StatementFormatUnknown(Unprocessable):
    code, title, title_zh = "statement_format_unknown", "Statement format unknown", "对账单格式未知"


class StatementImportNotFound(NotFound):
    code, title, title_zh = "statement_import_not_found", "Statement import not found", "对账单导入记录不存在"


class CsvProfileUnknown(Unprocessable):
    code, title, title_zh = "csv_profile_unknown", "CSV profile unknown", "CSV 配置不存在"


class CsvProfileNameMismatch(Unprocessable):
    code, title, title_zh = "csv_profile_name_mismatch", "CSV profile name mismatch", "CSV 配置名称不一致"


class CsvProfileBuiltIn(Unprocessable):
    code, title, title_zh = "csv_profile_built_in", "CSV profile is built in", "内置 CSV 配置不可修改"

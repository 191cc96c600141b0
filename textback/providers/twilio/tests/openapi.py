"""Check HTTP requests meant for Twilio's REST API against Twilio's OpenAPI file.

The description (``twilio_api_v2010.json`` from github.com/twilio/twilio-oai,
``spec/json/``) is not part of this repository.  It is looked for next to the
repository, in ``../shared/reference/``, or wherever ``TEXTBACK_TWILIO_OPENAPI``
points.  Tests call ``require_spec()``, which skips when the file is absent
(or fails, when ``TEXTBACK_REQUIRE_TWILIO_SPEC=1``, as in CI).

``request_problems`` and ``auth_problems`` return a list of human-readable
problems; an empty list means the request is valid as far as the spec says.

One convention of Twilio's is not in the description: an update that sets a
number's TwiML App or SIP trunk reference to the empty string removes it (the
description's own examples show an unset one as ``"voice_application_sid": ""``).
The description gives those fields a SID pattern only, so the checker accepts
the empty string for exactly those fields (``CLEARABLE``) of update operations.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import functools
import json
import math
import os
import pathlib
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

SPEC_ENV = "TEXTBACK_TWILIO_OPENAPI"
REQUIRE_ENV = "TEXTBACK_REQUIRE_TWILIO_SPEC"
SPEC_SOURCE = "https://github.com/twilio/twilio-oai/blob/main/spec/json/twilio_api_v2010.json"
FORM = "application/x-www-form-urlencoded"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

E164 = re.compile(r"\+[1-9]\d{1,14}")
# Channel addresses such as "whatsapp:+15552229999".
CHANNEL_ADDRESS = re.compile(r"[a-z][a-z0-9-]*:\+[1-9]\d{1,14}")
# List filters such as IncomingPhoneNumbers?PhoneNumber= take partial numbers
# and "*" wildcards (documented in that parameter's description).
PARTIAL_NUMBER = re.compile(r"\+?[0-9*]+")
CLEARABLE = frozenset({"VoiceApplicationSid", "SmsApplicationSid", "TrunkSid"})
US_DATE_TIME = re.compile(r"\d{2}/\d{2}/\d{4}( \d{2}:\d{2}(:\d{2})?( [A-Z]{1,5})?)?")


# --- locating and loading the spec -------------------------------------------


def _repo_root() -> pathlib.Path:
    here = pathlib.Path(__file__).resolve()
    for folder in here.parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    return pathlib.Path.cwd()


def spec_path() -> pathlib.Path:
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return pathlib.Path(configured)
    return _repo_root().parent / "shared" / "reference" / "twilio_api_v2010.json"


@functools.cache
def _read_spec(path: str) -> dict | None:
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return json.loads(text)


def load_spec() -> dict | None:
    """The parsed spec, or None when the file is absent (cached per path)."""
    return _read_spec(str(spec_path()))


def clear_cache() -> None:
    _read_spec.cache_clear()
    _compiled_template.cache_clear()


def require_spec() -> dict:
    spec = load_spec()
    if spec is not None:
        return spec
    message = (
        f"Twilio's OpenAPI description was not found at {spec_path()}. "
        f"Download twilio_api_v2010.json from {SPEC_SOURCE} and put it there "
        f"(outside the repository), or set {SPEC_ENV} to its path."
    )
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_ENV}=1, so this is a failure.)")
    pytest.skip(message)


# --- small spec helpers -------------------------------------------------------


def _resolve(spec: dict, schema: dict) -> dict:
    seen = set()
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot resolve $ref {ref!r}")
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        schema = node
    return schema


@functools.cache
def _compiled_template(template: str) -> tuple[re.Pattern, tuple[str, ...]]:
    names = tuple(re.findall(r"\{([^}]+)\}", template))
    literal_parts = re.split(r"\{[^}]+\}", template)
    regex = "([^/]+)".join(re.escape(part) for part in literal_parts)
    return re.compile(regex), names


def _match_path(spec: dict, path: str) -> tuple[str, dict[str, str]] | None:
    """The template matching `path`, preferring the most literal one."""
    matches = []
    for template in spec["paths"]:
        regex, names = _compiled_template(template)
        found = regex.fullmatch(path)
        if found:
            values = {n: unquote(v) for n, v in zip(names, found.groups(), strict=True)}
            literal_length = len(re.sub(r"\{[^}]+\}", "", template))
            matches.append((literal_length, template, values))
    if not matches:
        return None
    _, template, values = max(matches, key=lambda match: match[0])
    return template, values


def _parameters(operation: dict, path_item: dict, where: str) -> dict[str, dict]:
    merged = {}
    for param in path_item.get("parameters", []) + operation.get("parameters", []):
        if param.get("in") == where:
            merged[param["name"]] = param
    return merged


# --- value checks ------------------------------------------------------------


def _type_problem(schema: dict, value: str) -> str | None:
    kind = schema.get("type")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return "is not an integer"
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            return "is not a number"
        if not math.isfinite(number):
            return "is not a finite number"
    if kind == "boolean" and value not in ("true", "false"):
        return 'is not a boolean (Twilio expects "true" or "false")'
    return None


def _bounds_problems(schema: dict, value: str) -> list[str]:
    problems = []
    if schema.get("type") in ("integer", "number"):
        number = float(value)
        if "minimum" in schema and number < schema["minimum"]:
            problems.append(f"is below the minimum {schema['minimum']}")
        if "maximum" in schema and number > schema["maximum"]:
            problems.append(f"is above the maximum {schema['maximum']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"is shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(f"is longer than {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"does not match the pattern {schema['pattern']}")
    if "enum" in schema and value not in [str(item) for item in schema["enum"]]:
        problems.append(f"is not one of {schema['enum']}")
    return problems


def _is_uri(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not re.search(r"\s", value)


def _is_phone_number(value: str, in_query: bool) -> bool:
    if E164.fullmatch(value) or CHANNEL_ADDRESS.fullmatch(value):
        return True
    return in_query and bool(PARTIAL_NUMBER.fullmatch(value))


def _is_date(value: str) -> bool:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value: str) -> bool:
    """Loose: ISO 8601 date or date-time, RFC 2822, or MM/DD/YYYY [time [zone]]."""
    try:
        datetime.datetime.fromisoformat(value)
        return True
    except ValueError:
        pass
    try:
        email.utils.parsedate_to_datetime(value)
        return True
    except (TypeError, ValueError, IndexError):
        pass
    return bool(US_DATE_TIME.fullmatch(value))


def _format_problem(schema: dict, value: str, in_query: bool) -> str | None:
    if schema.get("x-twilio", {}).get("ignoreFormat"):
        return None
    fmt = schema.get("format")
    if fmt == "uri" and not _is_uri(value):
        return "is not an absolute http(s) URL"
    if fmt == "phone-number" and not _is_phone_number(value, in_query):
        return "is not an E.164 phone number (or channel address like whatsapp:+1...)"
    if fmt == "date" and not _is_date(value):
        return "is not a date (YYYY-MM-DD)"
    if fmt == "date-time" and not _is_date_time(value):
        return "is not a recognisable date-time"
    return None


def _scalar_problems(spec: dict, schema: dict, value: str, label: str, in_query: bool) -> list[str]:
    schema = _resolve(spec, schema)
    wrong_type = _type_problem(schema, value)
    if wrong_type:
        return [f"{label}={value!r} {wrong_type}"]
    found = _bounds_problems(schema, value)
    wrong_format = _format_problem(schema, value, in_query)
    if wrong_format:
        found.append(wrong_format)
    return [f"{label}={value!r} {problem}" for problem in found]


def _value_problems(spec: dict, schema: dict, values: list[str], label: str, in_query: bool) -> list[str]:
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        items = schema.get("items", {})
        return [p for v in values for p in _scalar_problems(spec, items, v, label, in_query)]
    if len(values) > 1:
        return [f"{label} is given {len(values)} times but is not an array"]
    return _scalar_problems(spec, schema, values[0], label, in_query)


# --- request parts -----------------------------------------------------------


def _path_problems(spec: dict, operation: dict, path_item: dict, values: dict[str, str]) -> list[str]:
    declared = _parameters(operation, path_item, "path")
    problems = []
    for name, value in values.items():
        param = declared.get(name)
        if param is None:
            problems.append(f"path parameter {name} is not declared")
            continue
        schema = param.get("schema", {})
        problems += _scalar_problems(spec, schema, value, f"path parameter {name}", False)
    return problems


def _query_problems(spec: dict, operation: dict, path_item: dict, query: str) -> list[str]:
    declared = _parameters(operation, path_item, "query")
    given = parse_qs(query, keep_blank_values=True)
    problems = []
    for name, values in given.items():
        param = declared.get(name)
        if param is None:
            problems.append(f"query parameter {name!r} is not declared (declared: {sorted(declared)})")
            continue
        label = f"query parameter {name!r}"
        problems += _value_problems(spec, param.get("schema", {}), values, label, True)
    for name, param in declared.items():
        if param.get("required") and name not in given:
            problems.append(f"required query parameter {name!r} is missing")
    return problems


def _decode(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return body


def _form_problems(spec: dict, schema: dict, text: str, update: bool) -> list[str]:
    schema = _resolve(spec, schema)
    properties = schema.get("properties", {})
    title = schema.get("title", "the request schema")
    fields = parse_qs(text, keep_blank_values=True)
    problems = []
    for name, values in fields.items():
        if name not in properties:
            problems.append(f"form field {name!r} is not a property of {title}")
            continue
        if update and name in CLEARABLE and values == [""]:
            continue  # removes the reference (see the module's docstring)
        problems += _value_problems(spec, properties[name], values, f"form field {name!r}", False)
    for name in schema.get("required", []):
        if name not in fields:
            problems.append(f"required form field {name!r} is missing")
    return problems


def _body_problems(spec: dict, operation: dict, body: bytes | str | None, content_type: str | None) -> list[str]:
    try:
        text = _decode(body)
    except UnicodeDecodeError:
        return ["body is not valid UTF-8"]
    request_body = operation.get("requestBody")
    if request_body is None:
        return ["operation takes no request body but one was sent"] if text else []
    accepted = request_body.get("content", {})
    media_type = (content_type or "").split(";")[0].strip().lower()
    if not media_type:
        if text or request_body.get("required"):
            return [f"no Content-Type given (accepted: {sorted(accepted)})"]
        media_type = FORM if FORM in accepted else ""
    if media_type not in accepted:
        return [f"Content-Type {media_type!r} is not accepted (accepted: {sorted(accepted)})"]
    if media_type != FORM:
        return []
    update = str(operation.get("operationId", "")).startswith("Update")
    return _form_problems(spec, accepted[media_type].get("schema", {}), text, update)


# --- public checks -----------------------------------------------------------


def request_problems(
    spec: dict,
    method: str,
    url: str,
    body: bytes | str | None = None,
    content_type: str | None = None,
) -> list[str]:
    """Problems with a request to Twilio's REST API; [] when it is valid."""
    parts = urlsplit(url)
    matched = _match_path(spec, parts.path)
    if matched is None:
        return [f"path {parts.path!r} matches no path in Twilio's API description"]
    template, values = matched
    path_item = spec["paths"][template]
    operation = path_item.get(method.lower()) if method.lower() in HTTP_METHODS else None
    if operation is None:
        allowed = sorted(m.upper() for m in path_item if m in HTTP_METHODS)
        return [f"{method.upper()} is not allowed on {template} (allowed: {allowed})"]
    problems = _path_problems(spec, operation, path_item, values)
    problems += _query_problems(spec, operation, path_item, parts.query)
    problems += _body_problems(spec, operation, body, content_type)
    return [f"{method.upper()} {template}: {problem}" for problem in problems]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def auth_problems(headers: Mapping[str, str], account_sid: str) -> list[str]:
    """Twilio's spec says HTTP Basic auth: username account SID, password auth token."""
    value = _header(headers, "Authorization")
    if value is None:
        return ["no Authorization header (Twilio requires HTTP Basic auth)"]
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return [f"Authorization scheme is {scheme!r}, expected Basic"]
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ["Basic credentials are not valid base64 of UTF-8 text"]
    username, colon, password = decoded.partition(":")
    problems = []
    if not colon:
        problems.append("Basic credentials have no ':' between username and password")
    if username != account_sid:
        problems.append(f"Basic auth username is {username!r}, expected the account SID {account_sid!r}")
    if colon and not password:
        problems.append("Basic auth password (the auth token) is empty")
    return problems

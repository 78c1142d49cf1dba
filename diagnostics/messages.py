"""Every message a user reads, as data: a key and its parameters, worded at the edge.

    problem = Msg("file.truncated", tail=7, n=29)
    problem == "truncated: the last 7 bytes are an incomplete record (read the 29 complete events before it)"
    render(problem, "zh")          # "文件被截断：最后 7 字节是不完整的记录（已读取其前的 29 个完整事件）"
    to_json(problem)               # {"key": "file.truncated", "params": {"tail": 7, "n": 29}}

One type for everything said: a rule's finding, a not-assessed reason, a verdict, the reader's
problems and refusals, the trainer's config, re-run and job errors. A `Msg` IS its English text
(a `str`): tests, `--json`, logs and the CLI read it as they always did, and code below the edge
never takes a language. Two Msgs are equal when their keys and parameters are.

English is the source language, from one registry (`english_catalogue`): `messages_en.EN` (the
reader's and the trainer's messages) plus the texts declared beside the code that says them —
each registered rule's `TEXT`, `TITLE` and `SHORT_NAME` (keys "<rule id>.<name>", "<rule
id>.title", "<rule id>.name", found through `diagnostics.rules.RULES`), and the `TEXT` of the
modules in `DECLARED` ("base.", "engine.", "instrument.", "verdict."). Chinese is one catalogue,
`messages_zh.ZH`, keyed alike with the same placeholders (tests/test_message_keys.py and
tests/test_messages_zh.py check both). A key the Chinese lacks (a user's own rule) is worded in
English; a key nobody declares reads as the key itself, never raises.

A parameter is a text, a number, None, another `Msg` (worded in the same language: a kind of
file, a rule's title, the config check inside a re-run refusal) or a tuple of those, worded one
after another. An exception carries its Msg as its one argument (`ConfigError(Msg(...))`):
`str(e)` is the English, `render(e, lang)` the wording in `lang`. Text without a key (an
OSError's strerror, a message from elsewhere) passes through `render` unchanged.
"""
from __future__ import annotations

import importlib
import string
from collections.abc import Callable, Collection, Mapping
from typing import Any, Union

from diagnostics.messages_en import EN
from diagnostics.messages_zh import ZH

LANGS = ("en", "zh")
CATALOGUES: dict[str, Mapping[str, str]] = {"zh": ZH}  # every language but the source
# Modules declaring English beside their code: namespace -> module (its `TEXT`: name -> template).
DECLARED = {"base": "diagnostics.rules.base", "engine": "diagnostics.engine",
            "instrument": "diagnostics.instrument_hint", "verdict": "diagnostics.verdict_text"}

Param = Union[str, int, float, None, "Msg", tuple]


class Msg(str):
    """English text that knows its catalogue key and parameters (`.key`, `.params`)."""

    key: str
    params: dict[str, Param]

    def __new__(cls, key: str, /, **params: Any) -> Msg:
        params = {k: _plain(v) for k, v in params.items()}
        return cls._made(_fill(template_for(key, "en"), key, params, "en"), key, params)

    @classmethod
    def _made(cls, text: str, key: str, params: dict[str, Param]) -> Msg:
        self = super().__new__(cls, text)
        self.key, self.params = key, params
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Msg):
            return self.key == other.key and self.params == other.params
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__  # equal messages have equal English

    def __reduce__(self):  # pickled (st.cache_data) as key + params, beside its English
        return Msg._made, (str(self), self.key, self.params)

    def __copy__(self) -> Msg:
        return self

    def __deepcopy__(self, memo) -> Msg:
        return self

    def but(self, **params: Any) -> Msg:
        """The same message with these parameters changed or added."""
        return Msg(self.key, **{**self.params, **params})

    def with_params(self, fn: Callable[[str], str]) -> Msg:
        """The same message with `fn` applied to each text parameter (nested messages too)."""
        return Msg(self.key, **{k: _mapped(v, fn) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        """{"key", "params"}, nested messages the same way: what JSON keeps beside the text."""
        return {"key": self.key, "params": params_json(self.params)}


def _mapped(value: Param, fn: Callable[[str], str]) -> Param:
    if isinstance(value, Msg):
        return value.with_params(fn)
    if isinstance(value, tuple):
        return tuple(_mapped(v, fn) for v in value)
    return fn(value) if isinstance(value, str) else value


def _plain(value: Any) -> Any:
    """A numpy number as the Python number it reads as (params go into JSON); a list as a tuple."""
    if isinstance(value, list):
        return tuple(value)
    if not isinstance(value, (str, int, float)) and hasattr(value, "item"):
        return value.item()
    return value


# ---- wording -----------------------------------------------------------------------------


def as_msg(message: object) -> Msg | None:
    """The Msg of a message or of an exception raised with one; None when it has no key."""
    if isinstance(message, Msg):
        return message
    if isinstance(message, BaseException) and len(message.args) == 1 and isinstance(message.args[0], Msg):
        return message.args[0]
    return None


def render(message: object, lang: str = "en") -> str:
    """`message` (a Msg, an exception raised with one, a tuple of parameters, any text) worded
    in `lang`; without a key: `str(message)`. ValueError for a language with no catalogue."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(LANGS)}")
    return _render(message, lang)


def english(message: object) -> str:
    """`render(message, "en")`: for logs, benchmarks and tests that read the source language."""
    return _render(message, "en")


def render_all(message: object) -> dict[str, str]:
    """{lang: text} for every language."""
    return {lang: render(message, lang) for lang in LANGS}


def _render(value: object, lang: str) -> str:
    msg = as_msg(value)
    if msg is not None:
        if lang == "en":
            return str(msg)
        template = template_for(msg.key, lang)
        return str(msg) if template is None else _fill(template, msg.key, msg.params, lang)
    if isinstance(value, tuple):
        return "".join(_render(v, lang) for v in value)
    return str(value)


def _fill(template: str | None, key: str, params: Mapping[str, Param], lang: str) -> str:
    """The template with its parameters worded in `lang`; the key itself when it cannot be filled."""
    if template is None:
        return key
    try:
        return template.format(**{k: _render(v, lang) if isinstance(v, (str, tuple)) else v
                                  for k, v in params.items()})
    except (KeyError, IndexError, ValueError, AttributeError):
        return key


def template_for(key: str, lang: str) -> str | None:
    """The template of `key` in `lang`, else in English; None when nobody declares it."""
    template = CATALOGUES[lang].get(key) if lang in CATALOGUES else None
    if template is None:
        template = EN.get(key)
    if template is None:
        template = english_catalogue().get(key)
    return template


# ---- the English registry ----------------------------------------------------------------


def english_catalogue() -> dict[str, str]:
    """Every English template, by key: `messages_en.EN`, the `DECLARED` modules' and each
    registered rule's. Read from the registry as it is now (`diagnostics.rules.RULES`), so a
    rule added to the registry brings its words along; cached per registry object."""
    global _cached
    try:
        from diagnostics.rules import RULES
    except ImportError:  # asked while the rules themselves are being imported: nothing cached
        return EN
    if _cached is None or _cached[0] is not RULES:
        table = {**EN, **_declared()}
        for rule in RULES.values():
            table.update(rule.catalogue())
        _cached = (RULES, table)
    return _cached[1]


_cached: tuple[Any, dict[str, str]] | None = None


def _declared() -> dict[str, str]:
    return {f"{namespace}.{name}": text for namespace, module in DECLARED.items()
            for name, text in importlib.import_module(module).TEXT.items()}


def placeholders(template: str) -> set[str]:
    """The names a template fills in ("{tag} at {onset}" -> {"tag", "onset"})."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ---- JSON --------------------------------------------------------------------------------


def to_json(message: object) -> dict[str, Any] | None:
    """{"key", "params"} of a message (or an exception raised with one); else None."""
    msg = as_msg(message)
    return msg.to_dict() if msg is not None else None


def params_json(params: Mapping[str, Param]) -> dict[str, Any]:
    """The parameters as JSON: a nested message as {"key", "params"}, a tuple as a list."""
    return {k: _json(v) for k, v in params.items()}


def _json(value: Param) -> Any:
    if isinstance(value, Msg):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


MAX_DEPTH = 6  # nesting of messages read from a file someone else may have written
MAX_PARAMS = 32


def from_json(data: Any, *, keys: Collection[str] | None = None, _depth: int = 0) -> Param:
    """A message (or parameter) back from its JSON (`to_json`, `params_json`): what an exported
    report keeps is enough to word it again, in any language.

    `keys` (data read from a file someone else may have written): ValueError unless every key
    is one of them and every parameter is plain JSON (text, number, None, list or message,
    nested at most `MAX_DEPTH` deep)."""
    if isinstance(data, Mapping) and "key" in data:
        key, params = data["key"], data.get("params") or {}
        if keys is not None and (not isinstance(key, str) or key not in keys or not isinstance(params, Mapping)
                                 or len(params) > MAX_PARAMS or _depth >= MAX_DEPTH
                                 or not all(isinstance(k, str) for k in params)):
            raise ValueError("not a message of the catalogue")
        return Msg(str(key), **{str(k): from_json(v, keys=keys, _depth=_depth + 1) for k, v in params.items()})
    if isinstance(data, list):
        if keys is not None and (len(data) > MAX_PARAMS or _depth >= MAX_DEPTH):
            raise ValueError("not a message parameter")
        return tuple(from_json(v, keys=keys, _depth=_depth + 1) for v in data)
    if keys is not None and not (data is None or isinstance(data, (str, int, float))):
        raise ValueError("not a message parameter")
    return data

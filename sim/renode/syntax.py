"""The monitor's grammar: a script split into commands (``statements``) and a command into
tokens (``tokenize``), as Renode's monitor reads them.

One command a line; ``#`` comments and ``:name:`` / ``:description:`` header lines; strings in
double or single quotes, and triple-quoted strings that span lines (also opening on the line after
their command, as ``macro reset`` and ``LoadPlatformDescriptionFromString`` are written);
``@path`` file arguments; numbers (decimal, ``0x`` hex); ranges ``<start, end>`` /
``<start, +size>`` / ``<start size>``; ``name=value`` arguments; ``$name`` variables and
``$name = value`` / ``$name ?= value`` assignments.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tandem.errors import ScriptError


@dataclass(frozen=True)
class Token:
    kind: str  # word, string, path, number, range, var, assign, named
    text: str  # the source text (a string's contents, a path without @, a variable's name)
    value: object = None  # number: int; range: (base, size); named: (name, Token)

    def show(self) -> str:
        if self.kind == "string":
            return f'"{self.text}"'
        if self.kind == "path":
            return "@" + self.text
        return self.text


@dataclass(frozen=True)
class Statement:
    path: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


_NUMBER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|\d+)")
_RANGE = re.compile(r"<\s*([^,\s>]+)\s*(,?)\s*(\+?)\s*([^,\s>]+)\s*>")
_WORD = re.compile(r"(?:[^\s=\"'<;?]|\?(?!=))+")
VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_.-]*)\}?")


def parse_int(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    return int(text, 0)


def statements(text: str, path: str) -> list[Statement]:
    """Split a script into commands: comments dropped, triple-quoted strings kept whole (a line
    that opens with one continues the command before it)."""
    out: list[Statement] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        start = i
        raw = lines[i]
        i += 1
        if raw.lstrip().startswith(":"):  # :name: and :description: headers
            continue
        body = _strip_comment(raw)
        while body.count('"""') % 2 == 1:  # an open triple-quoted string: take lines to its end
            if i >= len(lines):
                raise ScriptError('unterminated """ string', path, start + 1)
            body += "\n" + lines[i]
            i += 1
            if body.count('"""') % 2 == 0:
                body = body[: body.rfind('"""') + 3] + _strip_comment(body[body.rfind('"""') + 3:])
        if not body.strip():
            continue
        if body.lstrip().startswith('"""') and out:
            prev = out.pop()
            out.append(Statement(prev.path, prev.line, prev.text + " " + body.strip()))
            continue
        out.append(Statement(path, start + 1, body.strip()))
    return out


def _strip_comment(line: str) -> str:
    quote = ""
    for n, ch in enumerate(line):
        if quote:
            if ch == quote and line[n - 1] != "\\":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:n]
    return line


def tokenize(st: Statement) -> list[Token]:
    text, n, out = st.text, 0, []
    while n < len(text):
        ch = text[n]
        if ch.isspace():
            n += 1
            continue
        if text.startswith('"""', n):
            end = text.find('"""', n + 3)
            if end < 0:
                raise ScriptError('unterminated """ string', st.path, st.line)
            out.append(Token("string", text[n + 3:end]))
            n = end + 3
            continue
        if ch in "\"'":
            end = n + 1
            while end < len(text) and text[end] != ch:
                end += 2 if text[end] == "\\" else 1  # \" inside a string is a quote
            if end >= len(text):
                raise ScriptError(f"unterminated string: {text[n:]}", st.path, st.line)
            out.append(Token("string", text[n + 1:end].replace("\\" + ch, ch)))
            n = end + 1
            continue
        if ch == "<":
            m = _RANGE.match(text, n)
            if m is None:
                raise ScriptError(f"malformed range: {text[n:]}", st.path, st.line)
            out.append(_range_token(m, st))
            n = m.end()
            continue
        if text.startswith("?=", n) or ch == "=":
            op = "?=" if ch == "?" else "="
            out.append(Token("assign", op))
            n += len(op)
            continue
        m = _WORD.match(text, n)
        if m is None:  # a lone ';' separates nothing tandem needs: treat as a word
            out.append(Token("word", ch))
            n += 1
            continue
        word = m.group(0)
        n = m.end()
        if n < len(text) and text[n] == "=" and not text.startswith("==", n) and not word.startswith(("$", "@")) \
                and out:
            # name=value: a named argument (LoadELF @x cpu=cpu0)
            n += 1
            rest = tokenize(Statement(st.path, st.line, text[n:]))
            if not rest:
                raise ScriptError(f"{word}=: no value", st.path, st.line)
            out.append(Token("named", word, (word, rest[0])))
            out.extend(rest[1:])
            break
        out.append(_word_token(word))
    return out


def _word_token(word: str) -> Token:
    if word.startswith("@"):
        p = word[1:]
        if len(p) >= 2 and p[0] == p[-1] and p[0] in "\"'":
            p = p[1:-1]
        return Token("path", p)
    if VAR.fullmatch(word):
        return Token("var", word[1:].strip("{}"))
    if _NUMBER.fullmatch(word):
        return Token("number", word, int(word, 0))
    return Token("word", word)


def _range_token(m: re.Match[str], st: Statement) -> Token:
    try:
        start, second = parse_int(m.group(1)), parse_int(m.group(4))
    except ValueError:
        raise ScriptError(f"malformed number in range {m.group(0)}", st.path, st.line) from None
    size = second - start + 1 if m.group(2) and not m.group(3) else second
    if size <= 0:
        raise ScriptError(f"empty range {m.group(0)}", st.path, st.line)
    return Token("range", m.group(0), (start, size))


def value_token(text: str) -> Token:
    """A --variable NAME=VALUE: ``@path`` a file, a number, otherwise a string."""
    if text.startswith("@"):
        return Token("path", text[1:])
    if _NUMBER.fullmatch(text):
        return Token("number", text, int(text, 0))
    return Token("string", text)



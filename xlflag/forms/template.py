"""Forms by template: one workbook per form shape, written once, then copied and patched per form.

Building a form with XlsxWriter costs tens of milliseconds; a county needs ~25,000 of them. Forms
of one *shape* (same rater group, criteria set, target and the same ``FormLayout``: cells,
widths, heights) differ only in the strings that name the form: its id and code, branch, rater,
the identity JSON and its signature, and the ratees' 编号 and 名称. So the shape's template is
written by ``write.write_form`` itself, for its first form with the naming fields replaced by
unique markers (private-use characters) and the ratees as they are (the layout is measured on
their names, so they must stay real); each ratee label is then found as a whole shared string
and marked too. Each form of the shape is the template's zip parts with the markers replaced by
its own XML-escaped strings.

Nothing here knows where a cell sits: whatever ``write_form`` does with those fields (today's
layout or a later one), the template carries it. Before a kind of form (rater group, criteria
set, orientation) is trusted, a second form of its first shape is rendered from the template and
also written directly, and the two must agree part for part (``_Worker``); a shape whose template
fails is tried again on its next forms, and after a few failures (a layout that prints a name
inside another text, say) written directly, form by form. Two ratees of one name are one shared
string in XlsxWriter's file, both cells pointing to it: which ratees share a name (``twins``) is
part of the shape, and such forms are a kind of their own, checked as any kind is. A form that
no template could carry is written directly and serves as no shape's first form nor its check.
Each form's own strings are checked before they go in (``Template.takes``). ``write_form`` stays
the plain path; this module is only ever a faster way to the same bytes.
"""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Callable

from ..core import layout as L
from ..core.formplan import PlannedForm, form_layout_of, ratee_labels
from ..core.identity import sign
from ..core.model import Scheme
from ..edge.files import atomic_write
from ..edge.pool import default_workers, map_files, pooled, warm
from .render import Part, fixed_part, raw_member, render, varying_part
from .sheet import info_height

OPEN, CLOSE = "\ue000", "\ue001"  # private use: never in a scheme's names
_MARKER = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}".encode())
_SHARED_STRINGS = "xl/sharedStrings.xml"
_HEIGHT = f"{OPEN}H".encode()  # how a row height's marker begins


def _is_height(marker: bytes) -> bool:
    return marker.startswith(_HEIGHT)

WriteForm = Callable[[Scheme, bytes, PlannedForm, Path], None]
Progress = Callable[[int, int, str], None]  # (forms written, forms in all, the last one's file)


def shape_of(scheme: Scheme, form: PlannedForm) -> tuple:
    """Forms of one shape share a template: the same cells, widths and rows, whatever heights
    the rows have (those are patched, ``_heights``)."""
    return _form_shape(form) + _layout_shape(form_layout_of(scheme, form.identity))


def _form_shape(form: PlannedForm) -> tuple:
    ident = form.identity
    return ident.target, ident.group, ident.criteria_set, bool(ident.branch), form.group_name, form.asks_answer


def _layout_shape(lay) -> tuple:
    """Every field of the layout but the heights (dicts as their items), which rows have a
    height and which of them the default one."""
    cells = tuple(tuple(v.items()) if isinstance(v, dict) else v
                  for v in (getattr(lay, f.name) for f in fields(lay) if f.name != "row_heights"))
    default = tuple(r for r, h in sorted(lay.row_heights.items()) if _pixels(h) == _DEFAULT_ROW_PX)
    return cells, tuple(sorted(lay.row_heights)), default


_DEFAULT_ROW_PX = 20  # XlsxWriter writes no height for a row of the default height


def _pixels(height: float) -> int:
    return int(height * 4.0 / 3.0 + 0.5)


@lru_cache(maxsize=4096)
def _height_text(height: float) -> str:
    """A row height as XlsxWriter writes it (rounded to whole pixels); the verification of
    each shape checks this against what write_form really wrote."""
    return f"{_pixels(height) * 0.75:.16g}"


def _heights(scheme: Scheme, form: PlannedForm, lay=None) -> dict[str, str]:
    """Row → height text of the rows whose height varies within a shape: the layout's, and the
    info row's (a longer branch or rater name wraps it onto a second line)."""
    lay = lay or form_layout_of(scheme, form.identity)
    return _layout_heights(lay) | _info_height(scheme, form, lay)


def _layout_heights(lay) -> dict[str, str]:
    return {f"H{r}": _height_text(h) for r, h in lay.row_heights.items() if _pixels(h) != _DEFAULT_ROW_PX}


def _info_height(scheme: Scheme, form: PlannedForm, lay) -> dict[str, str]:
    return {f"H{L.INFO_ROW}": _height_text(info_height(scheme, form, lay))}


_WORKBOOK_SHEET = re.compile(rb'<sheet [^>]*?name="([^"]*)"[^>]*?r:id="([^"]*)"')
_RELATIONSHIP = re.compile(rb'<Relationship [^>]*?Id="([^"]*)"[^>]*?Target="([^"]*)"')


def _form_part(zf: zipfile.ZipFile) -> str:
    """The zip member of the score sheet (L.FORM_SHEET), through workbook.xml and its rels."""
    sheets = dict(_WORKBOOK_SHEET.findall(zf.read("xl/workbook.xml")))
    targets = {rid: target for rid, target in _RELATIONSHIP.findall(zf.read("xl/_rels/workbook.xml.rels"))}
    target = targets[sheets[_escape(L.FORM_SHEET)]].decode()
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _mark_heights(body: bytes, heights: dict[str, str]) -> bytes | None:
    for tag, text in heights.items():
        pattern = re.compile(rb'(<row r="' + tag[1:].encode() + rb'"[^>]*? ht=")' + re.escape(text.encode()) + rb'"')
        body, found = pattern.subn(lambda m: m.group(1) + _mark(tag).encode() + b'"', body)
        if found != 1:
            return None
    return body


def _mark(tag: str) -> str:
    return f"{OPEN}{tag}{CLOSE}"


def _marked_form(form: PlannedForm) -> PlannedForm:
    ident = form.identity
    marked = replace(ident, form_id=_mark("F"), code=_mark("C"), branch=_mark("B") if ident.branch else "",
                     rater=_mark("R"))
    return replace(form, identity=marked, rater_name=_mark("N"))


def _escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def _values(scheme: Scheme, key: bytes, form: PlannedForm, lay=None, layout_heights=None) -> dict[bytes, bytes]:
    """Marker → what this form has there, XML-escaped (``lay``: the form's layout, and
    ``layout_heights`` its ``_height_values``, if known)."""
    ident = form.identity
    lay = lay or form_layout_of(scheme, ident)
    text = ident.to_json()
    values = {_marker("F"): _escape(ident.form_id), _marker("C"): _escape(ident.code), _marker("B"): _escape(ident.branch),
              _marker("R"): _escape(ident.rater), _marker("N"): _escape(form.rater_name), _marker("J"): _escape(text),
              _marker("S"): _escape(sign(key, text))}
    labels = ratee_labels(scheme, ident)  # (编号, 名称) per ratee: I0, L0, I1, L1, …
    values.update(zip(_label_markers(len(labels)), map(_escape_label, chain.from_iterable(labels))))
    values |= _height_values(lay) if layout_heights is None else layout_heights
    values[_marker(f"H{L.INFO_ROW}")] = _height_text(info_height(scheme, form, lay)).encode()
    return values


def _height_values(lay) -> dict[bytes, bytes]:
    """``_layout_heights`` as markers and their texts (digits: nothing to escape)."""
    return {_marker(tag): text.encode() for tag, text in _layout_heights(lay).items()}


@lru_cache(maxsize=1024)
def _label_markers(n: int) -> tuple[bytes, ...]:
    return tuple(_marker(f"{tag}{i}") for i in range(n) for tag in "IL")


_escape_label = lru_cache(maxsize=1 << 16)(_escape)  # a branch's names are on many of its forms


@lru_cache(maxsize=4096)
def _marker(tag: str) -> bytes:
    return _mark(tag).encode()


def _entry(text: bytes) -> bytes:
    return b"<si><t>" + text + b"</t></si>"


def _mark_labels(body: bytes, labels: list[tuple[str, str]]) -> bytes | None:
    """The shared strings with each ratee label's entry marked; None when a label's entry is not
    exactly once there (a name that is also a heading). A name an earlier ratee has too (``twins``)
    is that ratee's entry: XlsxWriter writes a string once, and the form's cells point to it."""
    repeated = {later for later, _ in twins(labels)}
    for n, (code, name) in enumerate(labels):
        for tag, text in ((f"I{n}", code), (f"L{n}", name)):
            if tag == f"L{n}" and n in repeated:
                continue
            entry = _entry(_escape(text))
            if body.count(entry) != 1:
                return None
            body = body.replace(entry, _entry(_mark(tag).encode()))
    return body


def twins(labels) -> tuple[tuple[int, int], ...]:
    """(ratee, the first ratee of the same name) for each ratee whose 名称 an earlier one has:
    forms of one shape must agree in this too, for their files to point to the same entries."""
    first: dict[str, int] = {}
    found = []
    for n, (_, name) in enumerate(labels):
        at = first.setdefault(name, n)
        if at != n:
            found.append((n, at))
    return tuple(found)


_ENTRY = re.compile(rb"<si><t[^>]*>(.*?)</t></si>", re.DOTALL)
_ESCAPED_BY_XLSXWRITER = re.compile(rb"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")  # written as _xHHHH_


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]
    whole: tuple[bytes, ...] = ()  # markers that are a whole shared string (the ratee labels)
    literals: frozenset[bytes] = frozenset()  # the shared strings no form changes

    def takes(self, values: dict[bytes, bytes]) -> bool:
        """Whether this form's strings come out of the template as XlsxWriter writes them: none
        it would escape as _xHHHH_, and the whole shared strings told apart from each other and
        from the rest, none with a space at either end (XlsxWriter marks those to be kept)."""
        if _ESCAPED_BY_XLSXWRITER.search(b"\n".join(values.values())):  # no match spans a \n
            return False
        whole = [values[m] for m in self.whole]
        return (len(set(whole)) == len(whole) and not self.literals.intersection(whole)
                and all(v == v.strip() and v for v in whole))

    def render(self, values: dict[bytes, bytes]) -> bytes:
        """The form's whole .xlsx file."""
        return render(self.parts, values)


def build_template(scheme: Scheme, key: bytes, form: PlannedForm, write_form: WriteForm, lay=None) -> Template | None:
    """The template of ``form``'s shape, written by ``write_form`` for the marked ``form``;
    None when its ratees cannot be told apart in it. ``lay``: the form's layout, if known."""
    lay = lay or form_layout_of(scheme, form.identity)
    marked = _marked_form(form)
    with tempfile.TemporaryDirectory(prefix="xlflag-template-") as tmp:
        path = Path(tmp) / "template.xlsx"
        write_form(scheme, key, marked, path)
        raw = path.read_bytes()
    text = marked.identity.to_json()
    derived = {_escape(text): _mark("J").encode(), sign(key, text).encode(): _mark("S").encode()}
    labels = ratee_labels(scheme, form.identity)
    parts, entries = [], []
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        form_part = _form_part(zf)
        for info in zf.infolist():
            body = zf.read(info)
            for found, tag in derived.items():
                body = body.replace(found, tag)
            if info.filename == _SHARED_STRINGS:
                body = _mark_labels(body, labels)
                entries = _ENTRY.findall(body or b"")
            elif info.filename == form_part:  # the info row as written for the marked form
                info_row = {f"H{L.INFO_ROW}": _height_text(info_height(scheme, marked, lay))}
                body = _mark_heights(body, _heights(scheme, form, lay) | info_row)
            if body is None:
                return None
            if OPEN.encode() not in body:
                parts.append(fixed_part(info, raw_member(raw, info)))
                continue
            pieces, at = [], 0
            for match in _MARKER.finditer(body):
                pieces += [body[at:match.start()], match.group()]
                at = match.end()
            pieces.append(body[at:])
            parts.append(varying_part(info, tuple(pieces), _is_height))
    whole = tuple(e for e in entries if _MARKER.fullmatch(e))
    return Template(tuple(parts), whole, frozenset(e for e in entries if OPEN.encode() not in e))


CHUNK_FORMS = 200  # a task is cut no finer than this
MIN_FOR_POOL = 300  # fewer forms are written here: starting workers would cost more


def prepare(count: int, workers: int | None = None) -> None:
    """Called as soon as it is known that ``count`` forms will be written: if they will go on
    the pool, its fork server starts now and loads this module and XlsxWriter while the caller
    still checks paths, so the workers start ready."""
    if pooled(count, workers, MIN_FOR_POOL):
        warm(__name__, "xlsxwriter")


def write_by_template(scheme: Scheme, key: bytes, jobs: list[tuple[PlannedForm, Path]], write_form: WriteForm,
                      *, workers: int | None = None, progress: Progress | None = None,
                      also: Callable[[], None] | None = None, records: dict | None = None) -> int:
    """Write every (form, path) on ``workers`` processes (default one per core), whole branches
    per task; returns how many forms went through a template (the others were written directly).
    ``also`` (a picklable callable: the dispatch list) runs as one more task beside them.
    ``progress(done, total, path)`` before the first task and after each. ``records``: filled
    with each form's issue-record line (``FormIdentity.record_json``), made by the worker that
    writes it, keyed by the identity's id (``issued.record_lines``): the record's 25,000 lines
    then cost the caller nothing after the pool.

    A task holds every branch of one size (as many forms), so the shapes a size of branch
    needs are met by one worker only and their templates built once (templates live in the
    worker; the shapes every size shares, such as the self form, once per worker). The costliest
    tasks (``_cost``) go out first, all at once, so that no worker waits while a long one whose
    result is due first still runs; a size so common that its task would keep one worker busy while the
    others idle is cut into pieces of at most a quarter of each worker's share.
    """
    folders: dict[str, list[tuple[PlannedForm, Path]]] = {}
    for job in jobs:
        folders.setdefault(job[0].folder, []).append(job)
    sizes: dict[int, list[tuple[PlannedForm, Path]]] = {}
    for branch in folders.values():
        sizes.setdefault(len(branch), []).extend(branch)
    most = max(CHUNK_FORMS, len(jobs) // (4 * (workers or default_workers())))
    pieces = [alike[at:at + most] for alike in sizes.values() for at in range(0, len(alike), most)]
    tasks: list = ([also] if also is not None else []) + sorted(pieces, key=_cost, reverse=True)
    # sent with the paths as text: a county's 25,000 Path objects cost a second to pickle and unpickle
    sent = [[(form, str(path)) for form, path in task] if isinstance(task, list) else task for task in tasks]
    if progress is not None:
        progress(0, len(jobs), "")
    done = templated = 0
    shared = (scheme, key, write_form, _Worker(), records is not None)  # each pool worker gets its own copy of the state
    for task, (by_template, lines) in zip(tasks, map_files(_run_task, shared, sent, count=len(jobs), workers=workers,
                                                           chunk=1, min_for_pool=MIN_FOR_POOL, ahead=len(tasks))):
        if isinstance(task, list):
            done, templated = done + len(task), templated + by_template
            if records is not None:
                records.update((id(form.identity), (form.identity, line)) for (form, _), line in zip(task, lines))
            if progress is not None:
                progress(done, len(jobs), task[-1][1].name)
    return templated


def _cost(task: list[tuple[PlannedForm, Path]]) -> int:
    """What a task costs, about: its forms and the rows they list (the county leaders' few forms,
    each listing every branch, cost more than a hundred small ones)."""
    return sum(1 + len(form.identity.ratees) for form, _ in task)


def _run_task(shared, task) -> tuple[int, tuple[str, ...]]:
    """(forms from a template, their issue-record lines if asked for)."""
    scheme, key, write_form, state, with_records = shared
    if not isinstance(task, list):
        task()
        return 0, ()
    templated = sum(state.write(scheme, key, form, Path(path), write_form) for form, path in task)
    return templated, tuple(form.identity.record_json() for form, _ in task) if with_records else ()


@dataclass
class _Pending:
    """A shape met once, its form written directly: the next form of the shape checks the template."""
    form: PlannedForm


class _Worker:
    """What one process keeps while it writes forms: each shape's template (None: that shape is
    written directly) and the kinds of form whose templates were checked here.

    A kind is checked on its first shape: the template built on one form, the next form of that
    shape rendered from it and also written directly, the two compared part for part (a shape
    whose template fails is tried again on its next forms, ``TRIES`` times at most). Later
    shapes of a checked kind (the same form for another number of ratees) need only their
    template built. Each form's own strings are checked too (``Template.takes``): one a template
    could not carry as XlsxWriter would write it is written directly.
    """

    def __init__(self):
        self.templates: dict[tuple, Template | _Pending | None] = {}
        self.checked: set[tuple] = set()
        self.failures: dict[tuple, int] = {}  # shape → its templates that failed
        self._layouts: dict[tuple, tuple] = {}
        self._by_layout: dict[int, tuple] = {}  # id of a layout object → what ``layout`` gives for it
        self._shapes: dict[tuple, int] = {}  # a layout shape → a number standing for it in keys

    def __getstate__(self):  # sent to a worker empty: the state is that process's own
        return {}

    def __setstate__(self, state):
        self.__init__()

    def layout(self, scheme: Scheme, form: PlannedForm):
        """(layout, its shape's number, its heights' values) of a form; the leaders' and
        representatives' forms of a branch list the same people, so the last few are kept, and
        forms of one shape share a layout object (``form_layout``): its shape and heights are
        worked out once."""
        ident = form.identity
        memo = (ident.criteria_set, ident.labels, ident.ratees, form.asks_answer, ident.target)
        found = self._layouts.get(memo)
        if found is None:
            if len(self._layouts) > 64:
                self._layouts.clear()
            lay = form_layout_of(scheme, ident)
            found = self._by_layout.get(id(lay))
            if found is None or found[0] is not lay:
                if len(self._by_layout) > 4096:
                    self._by_layout.clear()
                number = self._shapes.setdefault(_layout_shape(lay), len(self._shapes))
                found = self._by_layout[id(lay)] = (lay, number, _height_values(lay))
            self._layouts[memo] = found
        return found

    def write(self, scheme: Scheme, key: bytes, form: PlannedForm, path: Path, write_form: WriteForm) -> bool:
        """Write one form; True when it came from a template."""
        lay, layout_shape, layout_heights = self.layout(scheme, form)
        form_shape, repeated = _form_shape(form), twins(ratee_labels(scheme, form.identity))
        # forms listing two ratees of one name are a kind of their own: checked before trusted
        shape, kind = form_shape + (layout_shape, repeated), form_shape + (lay.by_rows, bool(repeated))
        entry = self.templates.get(shape)
        if entry is None and shape in self.templates:  # a shape no template can carry
            write_form(scheme, key, form, path)
            return False
        values = _values(scheme, key, form, lay, layout_heights)
        if not isinstance(entry, Template) and _may_carry(values, len(form.identity.ratees), repeated):
            # (a form no template could carry is neither a template's first form nor its check:
            # the shape's next form is)
            if kind in self.checked:
                entry = _built(scheme, key, form, write_form, lay)
                if entry is None:
                    self._failed(shape, None)
                else:
                    self.templates[shape] = entry
            elif entry is None:
                self.templates[shape] = _Pending(form)
            else:
                write_form(scheme, key, form, path)
                template = _checked(scheme, key, entry.form, form, path, write_form, values)
                if template is None:
                    self._failed(shape, form)
                else:
                    self.templates[shape] = template
                    self.checked.add(kind)
                return False
        if not isinstance(entry, Template) or not entry.takes(values):
            write_form(scheme, key, form, path)
            return False
        atomic_write(path, entry.render(values))
        return True

    def _failed(self, shape: tuple, written: PlannedForm | None) -> None:
        """A template of ``shape`` failed: tried again on the shape's next forms (``written``:
        the form just written directly, to check the next form's template on), at most
        ``TRIES`` times; then every form of the shape is written directly."""
        self.failures[shape] = self.failures.get(shape, 0) + 1
        if self.failures[shape] >= TRIES:
            self.templates[shape] = None
        elif written is not None:
            self.templates[shape] = _Pending(written)
        else:
            self.templates.pop(shape, None)


TRIES = 3  # templates tried on a shape before its forms are all written directly


def _may_carry(values: dict[bytes, bytes], ratees: int, repeated: tuple[tuple[int, int], ...] = ()) -> bool:
    """Whether a template could carry this form's own strings (its ratees' 编号 and 名称, the
    identity and its signature: whole shared strings), as ``Template.takes`` judges them; the
    名称 of a ratee in ``repeated`` (``twins``) is an earlier ratee's entry, not one of its own."""
    markers = _label_markers(ratees)
    if repeated:
        shared = {_marker(f"L{n}") for n, _ in repeated}
        markers = tuple(m for m in markers if m not in shared)
    return Template((), markers + (_marker("J"), _marker("S"))).takes(values)


def _built(scheme: Scheme, key: bytes, form: PlannedForm, write_form: WriteForm, lay=None) -> Template | None:
    try:
        return build_template(scheme, key, form, write_form, lay)
    except Exception:  # a layout this mechanism cannot mark: the plain path for this shape
        return None


def _checked(scheme: Scheme, key: bytes, first: PlannedForm, second: PlannedForm, second_path: Path,
             write_form: WriteForm, values: dict[bytes, bytes]) -> Template | None:
    """The shape's template, built on its first form, if its rendering of the second form
    (``values``: the second form's) is what ``write_form`` wrote for it (at ``second_path``),
    part for part."""
    template = _built(scheme, key, first, write_form)
    try:
        rendered = template and template.takes(values) and template.render(values)
    except Exception:
        return None
    return template if rendered and _same_parts(rendered, second_path.read_bytes()) else None


def _same_parts(a: bytes, b: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        names = [i.filename for i in za.infolist()]
        return names == [i.filename for i in zb.infolist()] and all(za.read(n) == zb.read(n) for n in names)

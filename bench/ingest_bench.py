"""How long ingest takes per returned file, per format: python bench/ingest_bench.py [N]

Builds the S2 sample's forms, fills them like raters do, re-saves copies as .xls and .ods with
LibreOffice (skipped when soffice is missing), pastes some into new workbooks (identity
stripped) and mails some (.eml), then times each step on each set. Prints ms per file and the
ratio to plain .xlsx ingest; these machines are noisy, so compare ratios, not milliseconds.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from xlflag import api
from xlflag.demo import fill_form, hashed_score
from xlflag.edge.libreoffice import convert_many, find_soffice
from xlflag.edge.resources import resource_dir
from xlflag.ingest.readers import close_pool, read_safely
from xlflag.ingest.returns import ingest
from xlflag.ingest.safety import precheck
from xlflag.ingest.store import EvidenceStore
from xlflag.scheme.key import load_key


def build(root: Path, copies: int) -> tuple[Path, dict[str, Path]]:
    scheme = root / "方案.xlsx"
    for name in ("方案.xlsx", "xlflag.key"):
        shutil.copyfile(resource_dir("samples") / "s2" / name, root / name)
    forms = api.make_forms(scheme, root / "forms").forms
    loaded = api.load_scheme(scheme)
    sets = {name: root / name for name in ("xlsx", "xls", "ods", "stripped", "eml")}
    for folder in sets.values():
        folder.mkdir()
    for n in range(copies):
        _, form = forms[n % len(forms)]
        fill_form(loaded, form, hashed_score, sets["xlsx"] / f"r{n:04d}.xlsx")
    xlsx = sorted(sets["xlsx"].iterdir())
    if find_soffice():
        for fmt in ("xls", "ods"):
            convert_many(xlsx, fmt, sets[fmt])
    for path in xlsx:
        paste(path, sets["stripped"] / path.name)
        mail(path, sets["eml"] / f"{path.stem}.eml")
    return scheme, {name: folder for name, folder in sets.items() if any(folder.iterdir())}


def paste(src: Path, target: Path) -> None:
    import openpyxl

    source = openpyxl.load_workbook(src)["测评表"]
    wb = openpyxl.Workbook()
    for row in source.iter_rows():
        for cell in row:
            if cell.value is not None and cell.data_type != "f":
                wb.active.cell(cell.row, cell.column, cell.value)
    wb.save(target)


def mail(src: Path, target: Path) -> None:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Date"] = "张三 <z@example.cn>", "测评表", "Tue, 24 Nov 2026 09:30:00 +0800"
    msg.set_content("见附件")
    msg.add_attachment(src.read_bytes(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=src.name)
    target.write_bytes(msg.as_bytes())


def per_file(fn, files: list[Path]) -> float:
    started = time.perf_counter()
    for path in files:
        fn(path)
    return (time.perf_counter() - started) / len(files) * 1000


def main() -> None:
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    with tempfile.TemporaryDirectory(prefix="xlflag-bench-") as tmp:
        root = Path(tmp)
        print(f"building {copies} returns per format …", flush=True)
        scheme_path, sets = build(root, copies)
        scheme, key = api.load_scheme(scheme_path), load_key(scheme_path)
        read_safely(next(sets["xlsx"].iterdir()))  # warm up imports
        if "ods" in sets:
            read_safely(next(sets["ods"].iterdir()))  # and the calamine worker
        rows = []
        for name, folder in sets.items():
            files = sorted(folder.iterdir())
            check = per_file(precheck, files) if name != "eml" else float("nan")
            read = per_file(read_safely, files) if name != "eml" else float("nan")
            started = time.perf_counter()
            intake = ingest(scheme, key, folder)
            whole = (time.perf_counter() - started) / len(files) * 1000
            store = EvidenceStore(root / "store" / name)
            started = time.perf_counter()
            ingest(scheme, key, folder, store=store)
            stored = (time.perf_counter() - started) / len(files) * 1000
            accepted = sum(e.status in ("已采用", "重复") for e in intake.ledger)
            rows.append((name, len(files), accepted, check, read, whole, stored))
        close_pool()
    base = next(r[5] for r in rows if r[0] == "xlsx")
    print(f"\n{'set':<9}{'files':>6}{'ok':>5}{'precheck':>10}{'read':>8}{'ingest':>8}{'+store':>8}{'ratio':>7}  (ms/file)")
    for name, n, ok, check, read, whole, stored in rows:
        print(f"{name:<9}{n:>6}{ok:>5}{check:>10.2f}{read:>8.2f}{whole:>8.2f}{stored:>8.2f}{whole / base:>7.2f}")
    print("\nratio: ingest time per file relative to plain .xlsx; precheck is part of read, read of ingest.")


if __name__ == "__main__":  # the calamine worker is started by forkserver, which re-imports this
    main()

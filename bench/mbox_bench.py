"""Peak memory of ingest on a large saved mailbox: it must stream, not hold the mailbox.

    python bench/mbox_bench.py [MEGABYTES]      # default 200

Builds the S2 test scheme (tests/returns_kit.py), then an mbox of about MEGABYTES: messages
each carrying a 1 MB PDF (not a form) and, every tenth, a genuine return. Ingest then runs in a
fresh Python process with an evidence store, and that process's peak RSS is printed.
Target: under 300 MB for a 200 MB mailbox (measured 2026-12-01 on the 2-core CI machine: see
the figure this prints; tests/test_mbox_memory.py runs the same at a smaller size).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CHILD = r"""
import resource, sys
from pathlib import Path
from xlflag import api
from xlflag.ingest.returns import ingest
from xlflag.ingest.store import EvidenceStore
from xlflag.scheme.key import load_key
scheme_path, returns, store = map(Path, sys.argv[1:4])
intake = ingest(api.load_scheme(scheme_path), load_key(scheme_path), returns, store=EvidenceStore(store))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(len(intake.accepted), len(intake.ledger), peak)
"""


def build_office(folder: Path, returns_wanted: int = 10) -> tuple[Path, list[bytes]]:
    """The scheme, and the bytes of a few genuine returns to put in the mailbox."""
    import returns_kit as kit

    forms = kit.make_forms(kit.build_scheme(folder / "方案"), folder / "测评表")
    genuine = [kit.fill(forms, path, folder / "stage" / f"{n}.xlsx").read_bytes()
               for n, (_, path) in enumerate(forms.written[:returns_wanted])]
    return forms.scheme_path, genuine


def write_mailbox(returns: Path, genuine: list[bytes], megabytes: int) -> int:
    """An mbox of about ``megabytes`` under ``returns``; how many forms it holds."""
    import returns_kit as kit

    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4096  # 1 MB, base64 makes it 1.35 MB in the mail
    returns.mkdir(parents=True)
    plain = kit.message("办公室 <office@example.cn>", "Tue, 24 Nov 2026 09:30:00 +0800", [("通知.pdf", pdf)]).as_bytes()
    separator = b"From MAILER-DAEMON Tue Nov 24 09:30:00 2026\n"
    written, count, forms_in = 0, 0, 0
    with open(returns / "收件箱.mbox", "wb") as box:
        while written < megabytes * 2**20:
            if count % 10 == 0 and forms_in < len(genuine):
                msg = kit.message(f"评价人{count} <r{count}@example.cn>", "Tue, 24 Nov 2026 09:30:00 +0800",
                                  [(f"{forms_in}.xlsx", genuine[forms_in]), ("附件.pdf", pdf)]).as_bytes()
                forms_in += 1
            else:
                msg = plain
            chunk = separator + msg.replace(b"\r\n", b"\n") + b"\n"
            box.write(chunk)
            written += len(chunk)
            count += 1
    return forms_in


def measure(megabytes: int, office: tuple[Path, list[bytes]] | None = None) -> tuple[int, int, int, float]:
    """(accepted, ledger lines, peak RSS in MB, seconds) of ingest in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        scheme, genuine = office or build_office(Path(tmp))
        returns = Path(tmp) / f"回收{megabytes}"
        write_mailbox(returns, genuine, megabytes)
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(scheme), str(returns), str(Path(tmp) / "存档")],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        accepted, lines, peak = map(int, out.split())
        return accepted, lines, peak, time.perf_counter() - started


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    accepted, lines, peak, seconds = measure(size)
    print(f"mbox {size} MB: {accepted} forms accepted, {lines} ledger lines, peak RSS {peak} MB, {seconds:.1f} s")

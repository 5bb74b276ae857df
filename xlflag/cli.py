"""The command line: each command parses, calls one library function, renders, exits.

Help is bilingual; what a secretary reads (problems, summaries) is Chinese.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer

from . import api
from .core.notice import DRAFT
from .core.problems import Report
from .demo import run_demo
from .scheme.read import SchemeError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="xlflag 授旗评星：方案 → 测评表 → 回收 → 汇总。")


def _print_report(report: Report, limit: int = 50) -> None:
    for p in report.problems[:limit]:
        where = "/".join(x for x in (p.file, p.sheet, p.cell) if x)
        typer.echo(f"[{p.code.name}] {p.severity.value} {where}：{p.message}")
    if len(report.problems) > limit:
        typer.echo(f"……另有{len(report.problems) - limit}条，见结果工作簿“问题清单”。")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


@contextmanager
def _progress(label: str):
    """A progress bar on stderr while returns are read; None (no bar) when not a terminal."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[name]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, name="")
        yield lambda done, total, name: bar.update(task, completed=done, total=total, name=name)


@app.command()
def init(
    directory: Path = typer.Argument(..., help="目标文件夹 / folder to create the scheme in"),
    preset: str = typer.Option("s2", "--preset", "-p", help="预设方案 s1..s5 / preset plan"),
) -> None:
    """写出预设方案工作簿供编辑 / write a preset scheme workbook to edit."""
    try:
        path = api.init_scheme(preset, directory)
    except SchemeError as exc:
        _fail(str(exc))
    typer.echo(f"已生成方案：{path}\n签名密钥：{path.parent / 'xlflag.key'}（请与方案一同妥善保存）")


@app.command()
def check(scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook")) -> None:
    """检查方案 / validate the scheme: weights, star bands, items, roster."""
    try:
        report = api.check_scheme(scheme)
    except SchemeError as exc:
        _fail(str(exc))
    _print_report(report)
    if report.valid:
        typer.echo("方案检查通过。")
    raise typer.Exit(int(not report.valid))


@app.command()
def forms(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    out: Path = typer.Argument(..., help="输出文件夹 / output folder"),
) -> None:
    """生成测评表 / write one measurement workbook per rater, plus a dispatch list."""
    try:
        written = api.make_forms(scheme, out)
    except api.SchemeInvalid as exc:
        _print_report(exc.report)
        _fail("方案有错误，未生成测评表。")
    except SchemeError as exc:
        _fail(str(exc))
    typer.echo(f"已生成测评表{len(written.forms)}份：{out}\n发放清单：{written.dispatch}")


@app.command()
def consolidate(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Path = typer.Argument(..., help="回收文件夹（含子文件夹）/ folder of returned files"),
    output: Path = typer.Option(Path("汇总结果.xlsx"), "--output", "-o", help="结果工作簿 / results workbook"),
    final: bool = typer.Option(False, "--final", help="定稿：测评表未收齐（且未列为免收）时拒绝汇总 / refuse while forms are out"),
    waive: list[str] = typer.Option([], "--waive", help="免收的表单编号，可多次使用 / form code not waited for"),
    notice: Path = typer.Option(None, "--notice", help="公示工作簿，默认为结果旁的公示.xlsx / the 公示 workbook"),
) -> None:
    """汇总回收的测评表 / ingest returns, write the results workbook and the 公示."""
    def run(progress):
        return api.consolidate(scheme, returns, output, progress=progress, final=final, waive=tuple(waive), notice=notice)

    try:
        result = _read_returns(run, "未汇总")
    except api.NotFinal as exc:
        for r in exc.outstanding[:50]:
            typer.echo(f"未收回：{r.branch} {r.group} {r.rater}（表单编号{r.code}）{r.note}", err=True)
        _fail(f"还有{len(exc.outstanding)}份测评表未收回，不能定稿。请收齐后重新汇总，"
              "或将确实无法收回的表单编号填入方案“设置”的“免收表单”（或用 --waive 表单编号）。")
    typer.echo(f"原件存档与台账：{result.ledger}")
    typer.echo(f"工作底稿（内部资料，含评价人姓名，不得公示）：{result.papers}")
    _print_consolidation(result)
    mark = f"（{DRAFT}，还有{len(result.outstanding)}份未收回）" if result.draft else ""
    typer.echo(f"公示：{result.notice}{mark}")


@app.command()
def status(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Path = typer.Argument(..., help="回收文件夹（含子文件夹）/ folder of returned files"),
    output: Path = typer.Option(Path("催收名单.xlsx"), "--output", "-o", help="催收名单 / reminder list workbook"),
) -> None:
    """回收进度与催收名单 / who has returned what; write the reminder list."""
    result = _read_returns(lambda progress: api.status(scheme, returns, output, progress=progress), "无法统计")
    for line in status_lines(result):
        typer.echo(line)
    raise typer.Exit(int(bool(result.reminders) or not result.intake.report.valid))


def _read_returns(run, not_done: str):
    """``run(progress)`` with a progress bar; a bad scheme or a missing folder exits 2."""
    try:
        with _progress("读取回收文件") as progress:
            return run(progress)
    except api.SchemeInvalid as exc:
        _print_report(exc.report)
        _fail(f"方案有错误，{not_done}。")
    except (SchemeError, FileNotFoundError) as exc:
        _fail(str(exc))


def status_lines(result: api.ReturnStatus) -> list[str]:
    """Per branch and rater group: expected, returned, accepted, problems, how many to chase
    (counts only: the names are in the 催收名单 and the working papers)."""
    lines = []
    for s in result.status:
        line = f"{s.branch} {s.group}：应收{s.expected} 已交{s.returned} 已采用{s.accepted} 问题{s.problems}"
        lines.append(line + (f"；待催收{len(s.missing)}人" if s.missing else ""))
    expected, returned, accepted = (sum(getattr(s, f) for s in result.status) for f in ("expected", "returned", "accepted"))
    lines.append(f"合计：应收{expected} 已交{returned} 已采用{accepted} "
                 f"问题{len(result.intake.report.problems)}；待催收{len(result.reminders)}人。")
    lines.append(f"催收名单：{result.output}")
    return lines


def _print_consolidation(result: api.Consolidation) -> None:
    ledger = result.intake.ledger
    counts = {}
    for entry in ledger:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    summary = "，".join(f"{k}{v}" for k, v in sorted(counts.items()))
    typer.echo(f"收到文件{len(ledger)}个：{summary}")
    missing = sum(len(s.missing) for s in result.status)
    typer.echo(f"应收{sum(s.expected for s in result.status)}份，未收{missing}份；问题{len(result.intake.report.problems)}条。")
    rated = [m for m in result.members if m.total is not None]
    if result.adjusted is not None and result.adjusted.records:
        done = len(result.adjusted.applied)
        typer.echo(f"调整：执行{done}条，未执行{len(result.adjusted.records) - done}条（见“调整记录”“问题清单”）。")
    typer.echo(f"已计算综合得分{len(rated)}/{len(result.members)}人。结果：{result.output}")


@app.command()
def demo(
    out: Path = typer.Argument(Path("xlflag-demo"), help="演示输出文件夹 / demo output folder"),
    preset: str = typer.Option("s2", "--preset", "-p", help="样例方案 s1..s5 / sample plan"),
) -> None:
    """用内置样例演示全流程 / run the whole flow on the bundled sample."""
    run = run_demo(out, preset)
    typer.echo(f"方案：{run.scheme}\n测评表：{run.forms}\n回收（已模拟填写）：{run.returns}")
    _print_consolidation(run.consolidation)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

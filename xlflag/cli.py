"""The command line: each command parses, calls one library function, renders, exits.

Help is bilingual; what a secretary reads (problems, summaries) is Chinese.
"""
from __future__ import annotations

from pathlib import Path

import typer

from . import api
from .demo import run_demo
from .problems import Report
from .scheme import SchemeError

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
) -> None:
    """汇总回收的测评表 / ingest returns and write the results workbook."""
    try:
        result = api.consolidate(scheme, returns, output)
    except api.SchemeInvalid as exc:
        _print_report(exc.report)
        _fail("方案有错误，未汇总。")
    except SchemeError as exc:
        _fail(str(exc))
    _print_consolidation(result)


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

"""The command line: each command parses, calls one library function, renders, exits.

Help is bilingual; what a secretary reads (problems, summaries) is Chinese.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from . import api
from .core.notice import DRAFT
from .core.problems import CannotRun, Report
from .core.reissue import summary
from .demo import run_demo
from .edge.files import os_error_text

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
def _runs(not_done: str):
    """Exit 2 with the Chinese reason when the command cannot run; never a traceback."""
    try:
        yield
    except api.SchemeInvalid as exc:
        _print_report(exc.report)
        _fail(f"方案有错误，{not_done}。")
    except CannotRun as exc:
        _fail(f"{exc}（{not_done}）")
    except OSError as exc:
        _fail(f"{os_error_text(exc)}（{not_done}）")


@contextmanager
def _progress(label: str):
    """A progress bar on stderr (returns read, forms written); None (no bar) when not a terminal."""
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
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[name]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None, name="")

        def update(done: int, total: int, name: str, step: str | None = None) -> None:
            bar.update(task, completed=done, total=total, name=name, description=step or label)
        yield update


@app.command()
def init(
    directory: Path = typer.Argument(..., help="目标文件夹 / folder to create the scheme in"),
    preset: str = typer.Option("s2", "--preset", "-p", help="预设方案 s1..s5 / preset plan"),
) -> None:
    """写出预设方案工作簿供编辑 / write a preset scheme workbook to edit."""
    existed = (directory / api.SCHEME_FILE).exists()
    with _runs("未生成方案"):
        path = api.init_scheme(preset, directory)
    first = f"方案已存在，未改动：{path}" if existed else f"已生成方案：{path}"
    typer.echo(f"{first}\n签名密钥：{path.parent / 'xlflag.key'}（仅本人可读；请与方案一同妥善保存、备份，丢失后已发出的测评表无法校验）")


@app.command()
def check(scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook")) -> None:
    """检查方案 / validate the scheme: weights, star bands, items, roster."""
    with _runs("未检查"):
        result = api.check(scheme)
    _print_report(result.report)
    if result.report.valid:
        typer.echo(f"方案检查通过：支部{result.branches}个，党员{result.members}人，应发测评表{result.forms}份。")
    raise typer.Exit(int(not result.report.valid))


@app.command()
def forms(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    out: Path = typer.Argument(..., help="输出文件夹 / output folder"),
    reissue: bool = typer.Option(False, "--reissue", help="只生成方案修改后需补发的测评表及补发清单 / only the forms an edit made stale, plus a reissue list"),
) -> None:
    """生成测评表 / write one measurement workbook per rater, plus a dispatch list."""
    with _runs("未生成测评表"), _progress("生成测评表") as progress:
        written = api.make_forms(scheme, out, reissue=reissue, progress=progress)
    for line in summary(list(written.changes)):
        typer.echo(line)
    if reissue:
        typer.echo(f"已生成需补发的测评表{len(written.forms)}份：{out}\n补发清单：{written.dispatch}")
    else:
        typer.echo(f"已生成测评表{len(written.forms)}份：{out}\n发放清单：{written.dispatch}")
        if written.changes:
            typer.echo("方案在发放后有修改：以上各表已为新版；只需补发改动的表时请用 --reissue。")


@app.command()
def consolidate(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Optional[Path] = typer.Argument(None, help="本次回收文件夹（含子文件夹；不给出则只汇总已存档的）/ folder of returned files"),
    output: Path = typer.Option(Path("汇总结果.xlsx"), "--output", "-o", help="结果工作簿 / results workbook"),
    final: bool = typer.Option(False, "--final", help="定稿：测评表未收齐（且未列为免收）时拒绝汇总 / refuse while forms are out"),
    waive: list[str] = typer.Option([], "--waive", help="免收的表单编号，可多次使用 / form code not waited for"),
    notice: Path = typer.Option(None, "--notice", help="公示工作簿，默认为结果旁的公示.xlsx / the 公示 workbook"),
    bulletin: Path = typer.Option(None, "--bulletin", help="同时写出简报（.docx）/ also write the 简报"),
    workers: int = typer.Option(None, "--workers", "-j", help="读取进程数，默认每核一个 / reading processes"),
    dask: str = typer.Option(None, "--dask", help="Dask集群地址 / Dask scheduler address, e.g. tcp://host:8786"),
    per_branch: Path = typer.Option(None, "--per-branch", help="另为每个支部写一份结果工作簿到此文件夹 / one results workbook per branch"),
) -> None:
    """汇总本期全部回收件 / ingest new returns into the period, write the results workbook and the 公示."""
    def run(progress):
        return api.consolidate(scheme, returns, output, progress=progress, final=final, waive=tuple(waive),
                               notice=notice, bulletin=bulletin, workers=workers, dask=dask, per_branch=per_branch)

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
    if result.bulletin:
        typer.echo(f"简报：{result.bulletin}")
    if result.branch_books:
        typer.echo(f"各支部结果工作簿{len(result.branch_books)}份（不含授旗排名和党员之星）：{Path(per_branch)}")

    raise typer.Exit(int(api.needs_attention(result.intake, result.outstanding)))


@app.command()
def bulletin(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Optional[Path] = typer.Argument(None, help="本次回收文件夹（不给出则只用已存档的）/ folder of returned files"),
    output: Path = typer.Option(Path("简报.docx"), "--output", "-o", help="简报 / bulletin (.docx)"),
    db: str = typer.Option(None, "--db", help="与上期比较所用的档案 / archive to compare with (default beside the scheme)"),
) -> None:
    """写出简报 / write the 简报: summary, star distribution, flag ranking, charts (.docx)."""
    made = _read_returns(lambda progress: api.make_bulletin(scheme, returns, output, progress=progress, db=db), "未生成简报")
    charts = f"图表{len(made.charts)}幅（字体：{made.font}）" if made.font else "未找到中文字体，图表从略"
    typer.echo(f"简报：{made.path}；{charts}")


@app.command()
def status(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Optional[Path] = typer.Argument(None, help="本次回收文件夹（不给出则只看已存档的）/ folder of returned files"),
    output: Path = typer.Option(Path("催收名单.xlsx"), "--output", "-o", help="催收名单 / reminder list workbook"),
    workers: int = typer.Option(None, "--workers", "-j", help="读取进程数，默认每核一个 / reading processes"),
    dask: str = typer.Option(None, "--dask", help="Dask集群地址 / Dask scheduler address, e.g. tcp://host:8786"),
) -> None:
    """回收进度与催收名单 / who has returned what; write the reminder list."""
    result = _read_returns(lambda progress: api.status(scheme, returns, output, progress=progress,
                                                       workers=workers, dask=dask), "无法统计")
    for line in status_lines(result):
        typer.echo(line)
    raise typer.Exit(int(api.needs_attention(result.intake, result.outstanding)))


@app.command()
def void(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    code: str = typer.Argument(..., help="表单编号 / form code, e.g. 2026Q4-K3J9QX2A"),
    reason: str = typer.Option(..., "--reason", "-r", help="作废理由（记入台账）/ why, recorded in the ledger"),
) -> None:
    """作废一份回收件 / void a form's returns: they leave the count, the reason stays in 台账."""
    with _runs("未作废"):
        done = api.void(scheme, code, reason)
    for entry in done.entries:
        typer.echo(f"已作废：{entry.file}（{entry.form_code}）")
    typer.echo(f"台账：{done.ledger}\n请重新运行 xlflag consolidate 更新结果。")


@app.command()
def sendback(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    code: str = typer.Argument(..., help="表单编号 / form code"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="退回文件 / the marked copy to mail back"),
    note: str = typer.Option("", "--note", "-n", help="给评价人的说明 / a note for the rater"),
) -> None:
    """退回一份回收件 / send a return back: a copy with the problem cells marked, ready to mail."""
    with _runs("未退回"):
        done = api.send_back(scheme, code, output, note)
    for entry in done.entries:
        typer.echo(f"已退回：{entry.file}（{entry.form_code}），不再计入，待评价人改正后重新交回")
    typer.echo(f"已标出问题单元格{done.cells}个：{done.output}\n请把该文件发回评价人；台账：{done.ledger}")


def _read_returns(run, not_done: str):
    """``run(progress)`` with a progress bar; anything that stops the run exits 2."""
    with _runs(not_done):
        with _progress("读取回收文件") as progress:
            return run(progress)


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
    typer.echo(f"本期共{result.total}份，本次新增{result.added}份：{summary}")
    missing = sum(len(s.missing) for s in result.status)
    typer.echo(f"应收{sum(s.expected for s in result.status)}份，未收{missing}份；问题{len(result.intake.report.problems)}条。")
    rated = [m for m in result.members if m.total is not None]
    if result.void:
        typer.echo(f"废票{len(result.void)}份：已计入回收，按方案的废票规则不计分（见“问题清单”）。")
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
    with _runs("演示未完成"):
        run = run_demo(out, preset)
    typer.echo(f"方案：{run.scheme}\n测评表：{run.forms}\n回收（已模拟填写）：{run.returns}")
    typer.echo(f"工作底稿（内部资料，含评价人姓名，不得公示）：{run.consolidation.papers}")
    _print_consolidation(run.consolidation)
    # exit 0: the demo's refused and blank returns are planted to show what a period meets


# -- xlflag archive …: the 星级党员档案 ---------------------------------------------------------

archive_app = typer.Typer(no_args_is_help=True, help="星级党员档案：各期成绩存档、流动红旗历史、年度汇总 / the archive across periods.")
app.add_typer(archive_app, name="archive")
DB_HELP = "档案数据库：SQLite文件或 postgresql://… / archive: a SQLite file or a database URL"
SCHEME_HELP = "方案工作簿：默认档案在其旁 / scheme workbook: the default archive sits beside it"


def _archive(run):
    """``run()``, with an empty or unreachable archive (ArchiveUnreachable, a CannotRun) and bad
    input as exit 2."""
    try:
        return run()
    except api.PeriodCommitted as exc:
        _fail(str(exc))
    except api.SchemeInvalid as exc:
        _print_report(exc.report)
        _fail("方案有错误，未存档。")
    except (LookupError, CannotRun, FileNotFoundError, api.HistoryUnreadable) as exc:
        _fail(str(exc))


@archive_app.command("commit")
def archive_commit(
    scheme: Path = typer.Argument(..., help="方案工作簿 / scheme workbook"),
    returns: Path = typer.Argument(..., help="回收文件夹 / folder of returned files"),
    output: Path = typer.Option(Path("汇总结果.xlsx"), "--output", "-o", help="结果工作簿 / results workbook"),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    replace: bool = typer.Option(False, "--replace", help="更正已存档的期次（原版本保留）/ replace, keeping the old version"),
) -> None:
    """汇总本期并存入档案 / consolidate the period and record its final results."""
    def run():
        with _progress("读取回收文件") as progress:
            return api.archive_commit(scheme, returns, output, db=db, replace=replace, progress=progress)

    done = _archive(run)
    _print_consolidation(done.consolidation)
    r = done.record
    typer.echo(f"已存档：{r.period}（第{r.version}版）党员{len(r.members)}人、支部{len(r.branches)}个 → {done.url}")


@archive_app.command("flag")
def archive_flag(db: str = typer.Option(None, "--db", help=DB_HELP),
                 scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP)) -> None:
    """流动红旗历史：何时由谁持有、次数、最长连续 / who held the flag when, how often, the longest run."""
    from .archive.history import flag_summary_lines

    history = _archive(lambda: api.archive_flag(db, scheme))
    withdrawn = {}
    for period, branch in history.withdrawn:
        withdrawn.setdefault(period, []).append(branch)
    for period, held in history.holders:
        gone = f"（撤旗：{'、'.join(withdrawn[period])}）" if period in withdrawn else ""
        typer.echo(f"{period}：{'、'.join(held) or '—'}{gone}")
    for line in flag_summary_lines(history):
        typer.echo(line)


@archive_app.command("member")
def archive_member(member_id: str = typer.Argument(..., help="党员编号 / member id"),
                   db: str = typer.Option(None, "--db", help=DB_HELP),
                   scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP)) -> None:
    """一名党员的历次星级、模范星与调整 / one member's record across periods."""
    from .archive.history import member_lines

    history = _archive(lambda: api.archive_member(member_id, db, scheme))
    if not history:
        _fail(f"档案中没有编号为“{member_id}”的党员")
    for line in member_lines(history):
        typer.echo(line)


@archive_app.command("year")
def archive_year(year: int = typer.Argument(..., help="年度 / year, e.g. 2026"),
                 output: Path = typer.Option(Path("年度汇总.xlsx"), "--output", "-o", help="年度汇总工作簿 / workbook"),
                 min_stars: int = typer.Option(None, "--min-stars", help="表彰最低星级（默认按方案）/ override the rule"),
                 db: str = typer.Option(None, "--db", help=DB_HELP),
                 scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP)) -> None:
    """年度汇总与表彰候选 / the annual summary for 年度考核 and 评先评优."""
    summary = _archive(lambda: api.archive_year(year, output, db=db, scheme=scheme, min_stars=min_stars))
    names = "、".join(f"{r.name}（{r.member_id}）" for r in summary.candidates) or "无"
    typer.echo(f"{year}年：期次{'、'.join(summary.periods)}，党员{len(summary.rows)}人；表彰候选：{names}\n年度汇总：{output}")


@archive_app.command("compare")
def archive_compare(period: str = typer.Option(None, "--period", help="期次（默认最新）/ period, default the latest"),
                    db: str = typer.Option(None, "--db", help=DB_HELP),
                    scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP)) -> None:
    """与上期相比：升星、降星、夺旗、卫冕 / change since the previous period."""
    from .archive.history import compare_lines

    for line in compare_lines(_archive(lambda: api.archive_compare(period, db, scheme))):
        typer.echo(line)


@archive_app.command("export")
def archive_export(output: Path = typer.Option(Path("星级党员档案.xlsx"), "--output", "-o", help="工作簿 / workbook"),
                   db: str = typer.Option(None, "--db", help=DB_HELP),
                   scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP)) -> None:
    """导出全部档案（含版本记录）/ export the whole archive to one workbook."""
    versions = _archive(lambda: api.archive_export(output, db=db, scheme=scheme))
    typer.echo(f"已导出{len({v.period for v in versions})}个期次（{len(versions)}个版本）：{output}")


@archive_app.command("template")
def archive_template(output: Path = typer.Option(Path("历史成绩模板.xlsx"), "--output", "-o", help="模板 / template")) -> None:
    """历史成绩导入模板 / the template for periods kept by hand."""
    typer.echo(f"已生成导入模板：{api.archive_template(output)}")


@archive_app.command("import")
def archive_import(file: Path = typer.Argument(..., help="按模板填写的历史成绩 / history workbook"),
                   db: str = typer.Option(None, "--db", help=DB_HELP),
                   scheme: Path = typer.Option(None, "--scheme", help=SCHEME_HELP),
                   replace: bool = typer.Option(False, "--replace", help="更正已存档的期次（原版本保留）")) -> None:
    """导入往期历史成绩 / import earlier periods from the template."""
    done = _archive(lambda: api.archive_import(file, db=db, scheme=scheme, replace=replace))
    _print_report(done.report)
    if not done.report.valid:
        _fail(f"有{len(done.report.errors)}处错误，未导入。")
    if not done.records:
        _fail("文件中没有期次，未导入。请在“期次”表和“党员”表中填写往期成绩。")
    typer.echo(f"已导入：{'、'.join(r.period for r in done.records)} → {done.url}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

"""A roster edit after dispatch costs only what it must (issue 9, item 6).

The returns_kit scheme (S2 groups: 自评, 互评, 领导点评, 职工参评 with 5 representatives) has two
branches of four: 甲支部 A1..A4 (leader 王书记), 乙支部 B1..B4 (leader 赵书记). Each branch sends
4 self + 4 peer + 1 leader + 5 representative forms = 14, 28 in all. Every form is generated,
filled like a rater fills it (demo.hashed_score: a score depends only on form id, ratee and item,
so a reissued form filled again gives the same numbers) and returned before the office edits the
roster in one branch. A "clean run" is the edited scheme's forms all filled and returned at once.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
import returns_kit as kit

from xlflag import api
from xlflag.core.formplan import plan_forms
from xlflag.core.problems import Code
from xlflag.core.reissue import NEW, REISSUE, WITHDRAWN, summary
from xlflag.forms.reissue_list import REISSUE_FILE
from xlflag.ingest.returns import ACCEPTED, REJECTED, SUPERSEDED
from xlflag.scheme.issued import load_issued
from xlflag.scheme.key import load_key

B5 = ("乙支部", "B5", "乙五", "")
EDITS = {
    # 乙支部 gains 乙五: the 4 peer, 1 leader and 5 representative forms of 乙 list one more
    # person (10 reissued); 乙五's own self and peer forms are new (2).
    "add_member": dict(roster=kit.ROSTER + [B5]),
    # 甲二 was a typo for 甲贰: every 甲 form that lists A2 — A2's self form, the peer forms of
    # A1, A3, A4, the leader's and the 5 representatives' — is reissued (10); scores stay valid.
    "fix_typo": dict(roster=[r if r[1] != "A2" else ("甲支部", "A2", "甲贰", "") for r in kit.ROSTER]),
    # 甲支部 gains a second leader 钱主任: one new leader form, nothing else changes.
    "add_leader": dict(branches=[kit.BRANCHES[0], ("甲支部", "王书记、钱主任"), kit.BRANCHES[2]]),
}
SUMMARIES = {
    "add_member": ["乙支部增加了党员乙五：互评表4份、领导点评表1份、职工参评表5份需重新发放，自评表1份、互评表1份需新发"],
    "fix_typo": ["甲支部党员甲二改名为甲贰：自评表1份、互评表3份、领导点评表1份、职工参评表5份需重新发放"],
    "add_leader": ["甲支部增加了领导点评人钱主任：领导点评表1份需新发"],
}
UNTOUCHED = {"add_member": "甲支部", "fix_typo": "乙支部", "add_leader": "乙支部"}


def fill_all(forms: kit.Forms, written, returns: Path) -> None:
    for form, path in written:
        kit.fill(forms, path, returns / form.folder / form.group_name / path.name)


def totals(result) -> dict[str, object]:
    return {m.member.member_id: m.total for m in result.members}


@pytest.fixture(scope="module")
def dispatched(tmp_path_factory):
    """Forms issued and every one returned; the results of that clean run."""
    root = tmp_path_factory.mktemp("dispatched")
    scheme = kit.build_scheme(root / "方案")
    forms = kit.make_forms(scheme, root / "测评表")
    fill_all(forms, forms.written, root / "回收")
    before = api.consolidate(scheme, root / "回收", root / "汇总-修改前.xlsx")
    assert len(before.intake.accepted) == 28
    return root, totals(before)


def copy_period(dispatched, tmp_path: Path) -> Path:
    """A copy of the dispatched period that keeps the issue record but forgets the returns the
    first run stored (the period is cumulative): each test's RETURNS is then all that arrived."""
    root, _ = dispatched
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    for ledger in (tmp_path / "方案").glob("xlflag-存档/*/台账.csv"):
        ledger.unlink()
    return tmp_path


def edited(dispatched, tmp_path: Path, edit: str) -> Path:
    """A copy of the dispatched period with one branch's roster edited; the scheme path."""
    copy_period(dispatched, tmp_path)
    return kit.build_scheme(tmp_path / "方案", **EDITS[edit])


def clean_run(tmp_path: Path, edit: str) -> dict[str, object]:
    """The edited scheme from scratch (same key): all its forms returned at once."""
    scheme = kit.build_scheme(tmp_path / "干净" / "方案", key_from=tmp_path / "方案" / "方案.xlsx", **EDITS[edit])
    forms = kit.make_forms(scheme, tmp_path / "干净" / "测评表")
    fill_all(forms, forms.written, tmp_path / "干净" / "回收")
    return totals(api.consolidate(scheme, tmp_path / "干净" / "回收", tmp_path / "干净" / "汇总.xlsx"))


@pytest.mark.parametrize("edit", EDITS)
def test_other_branch_returns_all_still_count_with_clean_totals(dispatched, tmp_path, edit):
    _, before = dispatched
    scheme = edited(dispatched, tmp_path, edit)
    result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "汇总.xlsx")
    other = UNTOUCHED[edit]
    lines = [e for e in result.intake.ledger if e.file.startswith(other)]
    assert len(lines) == 14 and {e.status for e in lines} == {ACCEPTED}
    assert not [p for p in result.intake.report.problems if p.file.startswith(other)]
    # nothing is refused anywhere: the edited branch's old forms still give every score they hold
    assert {e.status for e in result.intake.ledger} == {ACCEPTED}
    clean = clean_run(tmp_path, edit)
    for member_id, total in before.items():
        if edit != "add_leader" or member_id.startswith("B"):
            # every score returned before the edit still counts (with a second 甲 leader whose form
            # is still out, 甲's 领导点评 is below its rater threshold until it arrives: issue 10)
            assert totals(result)[member_id] == total
        if member_id.startswith(other[0].replace("甲", "A").replace("乙", "B")):
            assert total == clean[member_id]  # and the other branch is exactly a clean run
    # whom to chase: only raters of forms the edit created, never one whose form arrived
    chase = api.status(scheme, tmp_path / "回收", tmp_path / "催收.xlsx").reminders
    assert sorted((r.branch, r.group, r.rater) for r in chase) == {
        "add_member": [("乙支部", "互评", "乙五"), ("乙支部", "自评", "乙五")],
        "fix_typo": [],
        "add_leader": [("甲支部", "领导点评", "钱主任")],
    }[edit]
    assert all("尚未发放" in r.note for r in chase)  # until `forms --reissue` has written them
    if edit == "add_member":
        assert totals(result)["B5"] is None  # nobody has rated 乙五 yet


@pytest.mark.parametrize("edit", EDITS)
def test_stale_forms_are_named_in_chinese_and_reissue_writes_exactly_them(dispatched, tmp_path, edit):
    scheme = edited(dispatched, tmp_path, edit)
    out = tmp_path / "补发"
    written = api.make_forms(scheme, out, reissue=True)
    assert summary(list(written.changes)) == SUMMARIES[edit]
    counts = {a: sum(c.action == a for c in written.changes) for a in (REISSUE, NEW, WITHDRAWN)}
    assert counts == {"add_member": {REISSUE: 10, NEW: 2, WITHDRAWN: 0}, "fix_typo": {REISSUE: 10, NEW: 0, WITHDRAWN: 0},
                      "add_leader": {REISSUE: 0, NEW: 1, WITHDRAWN: 0}}[edit]
    assert sorted(f.form_id for f, _ in written.forms) == sorted(c.form.form_id for c in written.changes)
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*.xlsx"))
    assert on_disk == sorted([str(p.relative_to(out)) for _, p in written.forms] + [REISSUE_FILE])
    # reissued forms carry version 2 and a code of their own; new forms are version 1
    issued = load_issued(scheme, "2026Q4")
    for change in written.changes:
        versions = issued.versions[change.form.form_id]
        assert versions[-1] == change.form.identity
        if change.action == REISSUE:
            assert [v.version for v in versions] == [1, 2] and versions[0].code != versions[1].code
    # the secretary's list: one row per form, its cause and what the rater is asked to do
    ws = openpyxl.load_workbook(written.dispatch)["补发清单"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(rows) == len(written.changes)
    assert {r[5] for r in rows} == {SUMMARIES[edit][0].partition("：")[0]}
    assert openpyxl.load_workbook(written.dispatch)["变动说明"]["A2"].value == SUMMARIES[edit][0]
    # asked again, nothing is stale any more
    assert api.make_forms(scheme, tmp_path / "再补", reissue=True).forms == []


def test_reissued_returns_count_and_old_versions_give_way(dispatched, tmp_path):
    """乙支部 gains 乙五. After --reissue: 乙一 returns the new peer form in full (it replaces the
    old one); 乙二 fills only 乙五's row of the new form (the old form still gives the other three);
    乙三 and 乙四 send nothing new (their old forms count, 乙五 unscored by them); 乙五 returns
    both new forms; the leader and representatives return the new forms in full."""
    scheme = edited(dispatched, tmp_path, "add_member")
    out = tmp_path / "补发"
    written = api.make_forms(scheme, out, reissue=True)
    forms = kit.Forms(scheme, written.forms)
    again = tmp_path / "回收" / "第二批"
    for form, path in written.forms:
        if form.identity.rater in ("B3", "B4") or form.identity.rater == "B2":
            continue
        kit.fill(forms, path, again / path.relative_to(out))
    b2_form, b2_path = forms.get("乙支部", "DH", "B2")
    assert b2_form.identity.ratees == ("B1", "B3", "B4", "B5")  # 乙五 is the fourth ratee
    at = kit.cells(forms, b2_form)
    blank_others = {at.score(n, i.code): None for n in range(3) for i in at.lay.items}
    kit.fill(forms, b2_path, again / "乙二只补乙五.xlsx", blank_others)  # 乙一, 乙三, 乙四 left blank
    result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "汇总.xlsx")
    ledger = {e.file: e for e in result.intake.ledger}
    # 乙一: the new version wins over the old one, whenever saved
    assert ledger["第二批/乙支部/互评/乙一.xlsx"].status == ACCEPTED
    assert ledger["乙支部/互评/乙一.xlsx"].status == SUPERSEDED
    assert ledger["乙支部/互评/乙一.xlsx"].reason.startswith(Code.RETURN_OLD_VERSION_REPLACED.name)
    # 乙二: both count, the new one for 乙五, the old one for the other three
    assert (ledger["第二批/乙二只补乙五.xlsx"].status, ledger["第二批/乙二只补乙五.xlsx"].reason) == (ACCEPTED, "计入1名被评人")
    assert ledger["乙支部/互评/乙二.xlsx"].status == ACCEPTED
    assert "补入新版未评的3名被评人" in ledger["乙支部/互评/乙二.xlsx"].reason
    assert not [p for p in result.intake.report.problems if p.file == "第二批/乙二只补乙五.xlsx" and p.code is Code.SCORE_BLANK]
    # 乙三, 乙四: old forms count for the three they rate, and say 乙五 is still to be rated
    notes = {p.file: p.message for p in result.intake.report.problems if p.code is Code.RETURN_OLD_VERSION_USED}
    assert sorted(notes) == ["乙支部/互评/乙三.xlsx", "乙支部/互评/乙二.xlsx", "乙支部/互评/乙四.xlsx"]
    assert all("乙支部增加了党员乙五" in m for m in notes.values())
    assert "乙五尚无评分" in notes["乙支部/互评/乙三.xlsx"] and "乙五尚无评分" in notes["乙支部/互评/乙四.xlsx"]
    assert "已计入4名被评人的评分，无需重填" in notes["乙支部/互评/乙二.xlsx"]  # old 3 + new 1
    # totals: every member as in a clean run except 乙五, rated by 3 of the 4 peers there: the
    # same scores (one form id, one ratee), averaged over fewer raters — check B5's peer group
    clean = clean_run(tmp_path, "add_member")
    for member_id in ("A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"):
        assert totals(result)[member_id] == clean[member_id]
    peer = {m.member.member_id: next(g for g in m.groups if g.group.code == "DH") for m in result.members}
    assert peer["B5"].raters == 2  # 乙一's and 乙二's new forms; 乙三 and 乙四 have not rated 乙五
    # 乙三 and 乙四 returned their forms before the edit: nobody chases them for it
    assert api.status(scheme, tmp_path / "回收", tmp_path / "催收.xlsx").reminders == []


def test_a_stripped_old_version_is_known_by_its_old_code(dispatched, tmp_path):
    """Pasted into a new workbook (no hidden identity), a form issued before the edit is found by
    the code printed on it through the issue record, and its rows are read as issued."""
    scheme = edited(dispatched, tmp_path, "fix_typo")
    returns = tmp_path / "回收"
    target = returns / "甲支部" / "互评" / "甲一.xlsx"
    kit.paste_values(target, target)
    result = api.consolidate(scheme, returns, tmp_path / "汇总.xlsx")
    line = next(e for e in result.intake.ledger if e.file == "甲支部/互评/甲一.xlsx")
    assert (line.status, line.reason) == (ACCEPTED, "计入3名被评人")
    codes = {p.code for p in result.intake.report.problems if p.file == line.file}
    assert codes == {Code.RETURN_IDENTITY_STRIPPED, Code.RETURN_OLD_VERSION_USED}


def test_changed_items_refuse_old_forms_but_chase_nobody_who_returned(dispatched, tmp_path):
    """Item 1.1 reworded after dispatch: every form asks something else now. Old returns cannot
    count (naming both versions); they are on the 补发清单, never on the 催收名单."""
    copy_period(dispatched, tmp_path)
    scheme = kit.build_scheme(tmp_path / "方案", item_text="改过的项目内容")
    (tmp_path / "回收" / "乙支部").rename(tmp_path / "乙支部未交")  # 乙 never returned
    result = api.status(scheme, tmp_path / "回收", tmp_path / "催收.xlsx")
    assert {e.status for e in result.intake.ledger} == {REJECTED}
    assert {p.code for p in result.intake.report.problems} == {Code.RETURN_WRONG_SCHEME}
    assert {r.branch for r in result.reminders} == {"乙支部"} and len(result.reminders) == 14
    assert all("尚未发放" in r.note for r in result.reminders)
    written = api.make_forms(scheme, tmp_path / "补发", reissue=True)
    assert len(written.forms) == 28 and {c.action for c in written.changes} == {REISSUE}
    assert summary(list(written.changes)) == ["测评项目或评分规则有修改：自评表8份、互评表8份、领导点评表2份、职工参评表10份需重新发放"]


def test_a_member_removed_withdraws_their_forms(dispatched, tmp_path):
    """甲四 leaves 甲支部: their self and peer forms are withdrawn (returns refused, naming why);
    the other 甲 forms drop 甲四's row and keep every other score."""
    root, before = dispatched
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    scheme = kit.build_scheme(tmp_path / "方案", roster=[r for r in kit.ROSTER if r[1] != "A4"])
    result = api.consolidate(scheme, tmp_path / "回收", tmp_path / "汇总.xlsx")
    refused = [p for p in result.intake.report.problems if p.code is Code.RETURN_FORM_WITHDRAWN]
    assert sorted(p.file for p in refused) == ["甲支部/互评/甲四.xlsx", "甲支部/自评/甲四.xlsx"]
    assert all("甲支部删除了党员甲四" in p.message for p in refused)
    assert totals(result)["B1"] == before["B1"]
    written = api.make_forms(scheme, tmp_path / "补发", reissue=True)
    assert summary(list(written.changes)) == ["甲支部删除了党员甲四：互评表3份、领导点评表1份、职工参评表5份需重新发放，自评表1份、互评表1份作废"]


def test_cli_reissue_prints_each_edit_and_the_list(dispatched, tmp_path):
    from typer.testing import CliRunner

    from xlflag.cli import app

    scheme = edited(dispatched, tmp_path, "add_member")
    out = tmp_path / "补发"
    printed = CliRunner().invoke(app, ["forms", str(scheme), str(out), "--reissue"])
    assert printed.exit_code == 0, printed.output
    assert printed.output.splitlines() == [
        SUMMARIES["add_member"][0],
        f"已生成需补发的测评表12份：{out}",
        f"补发清单：{out / REISSUE_FILE}",
    ]


def test_the_record_sharing_the_planned_identities_is_the_same_record(dispatched, tmp_path):
    """After an edit the record holds old and new versions; sharing the planned identities (what
    consolidate does to keep one copy of each) changes nothing in it, and every planned form the
    record holds is then held as the very object planned."""
    scheme = edited(dispatched, tmp_path, "fix_typo")
    api.make_forms(scheme, tmp_path / "补发", reissue=True)
    loaded = api.load_scheme(scheme)
    issued = load_issued(scheme, loaded.settings.period)
    planned = [f.identity for f in plan_forms(loaded, load_key(scheme), issued)]
    shared = issued.sharing(planned)
    assert shared == issued and shared.all() == issued.all()
    by_id = {i.form_id: i for i in planned}
    # fix_typo: 10 forms reissued as version 2, each kept with its version 1
    assert sum(len(v) == 2 for v in issued.versions.values()) == 10
    for form_id, versions in shared.versions.items():
        assert versions[-1] is by_id[form_id]  # the latest version is the planned object itself
        assert all(old is mine for old, mine in zip(versions[:-1], issued.versions[form_id]))  # older ones kept

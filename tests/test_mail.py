"""Spreadsheet attachments found in saved mail: .eml, mbox, maildir.

Every message here is written to disk as a real file and read back; Foxmail-style messages are
typed out byte for byte because the standard library would never write them that way.
"""
from __future__ import annotations

import base64
import io
import mailbox
from email.message import EmailMessage

import openpyxl
import pytest

from xlflag.core.problems import Code
from xlflag.ingest.mail import Attachment, MailProblem, is_mail_source, iter_attachments

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
DATE = "Mon, 06 May 2024 09:30:00 +0800"
DATE_ISO = "2024-05-06T09:30:00+08:00"


def real_xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["姓名", "得分"])
    book.active.append(["张三", 95])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def mail(sender: str, subject: str, date: str | None = DATE, body: str = "见附件") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = subject
    if date is not None:
        message["Date"] = date
    message.set_content(body)
    return message


def attach(message: EmailMessage, filename: str | None, data: bytes, mime=XLSX_TYPE) -> None:
    maintype, subtype = mime
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)


def gbk_word(text: str, charset: str = "GBK") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode('gbk')).decode()}?="


def foxmail_bytes(data: bytes) -> bytes:
    """A message as Foxmail writes it: GBK RFC 2047 words, even inside the quoted name."""
    name = "王喆-互评.xlsx".encode("gbk")  # 喆 is in GBK but not in GB2312
    # Foxmail labels GBK as GB2312 and folds long names between two words, here mid-character.
    name_words = (
        f"=?GB2312?B?{base64.b64encode(name[:3]).decode()}?=\r\n"
        f"\t=?GB2312?B?{base64.b64encode(name[3:]).decode()}?="
    )
    lines = base64.encodebytes(data).decode().replace("\n", "\r\n")
    text = (
        f"From: \"{gbk_word('李四')}\" <lisi@example.cn>\r\n"
        f"Subject: {gbk_word('回复：互评表')}\r\n"
        f"Date: Tue, 7 May 2024 16:05:09 +0800\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed;\r\n\tboundary="----=_NextPart_000_0001"\r\n'
        "\r\n"
        "------=_NextPart_000_0001\r\n"
        'Content-Type: text/plain;\r\n\tcharset="GB2312"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{base64.b64encode('已填好'.encode('gbk')).decode()}\r\n"
        "\r\n"
        "------=_NextPart_000_0001\r\n"
        f'Content-Type: application/octet-stream;\r\n\tname="{name_words}"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        f'Content-Disposition: attachment;\r\n\tfilename="{name_words}"\r\n'
        "\r\n"
        f"{lines}"
        "\r\n"
        "------=_NextPart_000_0001--\r\n"
    )
    return text.encode("ascii")


# -- .eml ------------------------------------------------------------------------------------


def test_eml_rfc2231_chinese_name_and_real_xlsx_round_trip(tmp_path):
    workbook = real_xlsx()
    message = mail("张三 <zhangsan@example.cn>", "互评表（张三）")
    attach(message, "张三-互评.xlsx", workbook)
    raw = message.as_bytes()
    assert b"filename*=utf-8''%E5%BC%A0" in raw  # the RFC 2231 way
    path = tmp_path / "a.eml"
    path.write_bytes(raw)

    assert list(iter_attachments(path)) == [
        Attachment("张三-互评.xlsx", workbook, "张三 <zhangsan@example.cn>", DATE_ISO, "互评表（张三）", str(path))
    ]


def test_foxmail_gbk_encoded_words_in_quoted_name(tmp_path):
    workbook = real_xlsx()
    path = tmp_path / "李四.eml"
    path.write_bytes(foxmail_bytes(workbook))

    [found] = iter_attachments(path)
    assert found == Attachment(
        "王喆-互评.xlsx",
        workbook,
        "李四 <lisi@example.cn>",
        "2024-05-07T16:05:09+08:00",
        "回复：互评表",
        str(path),
    )
    assert openpyxl.load_workbook(io.BytesIO(found.data)).active["A2"].value == "张三"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_raw_8bit_name_and_sender(tmp_path, encoding):
    # Some clients put unencoded UTF-8 (RFC 6532) or GBK straight into the headers.
    head = (
        'From: 赵六 <zhaoliu@example.cn>\r\nSubject: 互评\r\nMIME-Version: 1.0\r\n'
        'Content-Type: application/vnd.ms-excel; name="赵六.xls"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode(encoding)
    path = tmp_path / "raw.eml"
    path.write_bytes(head + base64.b64encode(b"xls bytes") + b"\r\n")

    [found] = iter_attachments(path)
    assert (found.filename, found.sender, found.subject, found.date) == ("赵六.xls", "赵六 <zhaoliu@example.cn>", "互评", "")
    assert found.data == b"xls bytes"


def test_only_spreadsheets_are_taken_and_unnamed_ones_get_a_name(tmp_path):
    message = mail("张三 <zhangsan@example.cn>", "材料")
    attach(message, "说明.docx", b"docx", ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"))
    attach(message, "照片.jpg", b"jpg", ("image", "jpeg"))
    attach(message, None, b"no name xlsx")
    attach(message, "汇总.XLSM", b"macro book", ("application", "octet-stream"))
    attach(message, "wps.et", b"wps book", ("application", "octet-stream"))
    attach(message, None, b"no name xls", ("application", "vnd.ms-excel"))
    attach(message, "../../etc/互评.ods", b"ods book", ("application", "octet-stream"))
    path = tmp_path / "mixed.eml"
    path.write_bytes(message.as_bytes())

    found = list(iter_attachments(path))
    assert [(a.filename, a.data) for a in found] == [
        ("附件1.xlsx", b"no name xlsx"),
        ("汇总.XLSM", b"macro book"),
        ("wps.et", b"wps book"),
        ("附件2.xls", b"no name xls"),
        ("互评.ods", b"ods book"),  # the sender's folders are dropped
    ]


def test_unparseable_date_is_kept_as_written(tmp_path):
    message = mail("zhangsan@example.cn", "互评")
    attach(message, "a.xlsx", b"x")
    written_by_hand = f"Date: {gbk_word('上周五 下午')}".encode()
    path = tmp_path / "a.eml"
    path.write_bytes(message.as_bytes().replace(f"Date: {DATE}".encode(), written_by_hand))

    [found] = iter_attachments(path)
    assert (found.sender, found.date) == ("zhangsan@example.cn", "上周五 下午")


# -- damaged and oversized ---------------------------------------------------------------------


def test_garbage_eml_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "garbage.eml"
    path.write_bytes(b"\x00\xff\xfe\x89PNG garbage\r\n\x1a\n" * 50)

    assert [(p.code, p.source) for p in iter_attachments(path)] == [(Code.MAIL_UNREADABLE, str(path))]


def test_eml_cut_inside_the_headers_yields_nothing(tmp_path):
    path = tmp_path / "cut.eml"
    path.write_bytes(foxmail_bytes(real_xlsx())[:60])

    assert list(iter_attachments(path)) == []


def test_eml_cut_inside_the_attachment_is_reported(tmp_path):
    raw = foxmail_bytes(real_xlsx())
    body_start = raw.index(b"\r\n\r\n", raw.index(b"filename=")) + 4
    # One full 76-character line and 10 more: 86 base64 characters, not a multiple of 4.
    path = tmp_path / "cut.eml"
    path.write_bytes(raw[: body_start + 76 + 2 + 10])

    assert [(p.code, p.source) for p in iter_attachments(path)] == [(Code.MAIL_ATTACHMENT_DAMAGED, str(path))]


def test_oversized_attachment_is_refused_and_the_rest_kept(tmp_path):
    message = mail("张三 <zhangsan@example.cn>", "互评")
    attach(message, "大.xlsx", b"x" * 101)
    attach(message, "小.xlsx", b"x" * 100)
    path = tmp_path / "big.eml"
    path.write_bytes(message.as_bytes())

    found = list(iter_attachments(path, max_bytes=100))
    assert isinstance(found[0], MailProblem)
    assert (found[0].code, found[0].source) == (Code.RETURN_TOO_LARGE, str(path))
    assert found[1].filename == "小.xlsx"
    assert len(found) == 2


# -- mbox --------------------------------------------------------------------------------------


def test_mbox_in_file_order_with_forwarded_message(tmp_path):
    two = mail("张三 <zhangsan@example.cn>", "两份")
    attach(two, "张三-互评.xlsx", b"peer")
    attach(two, "张三-自评.xls", b"self", ("application", "vnd.ms-excel"))
    none = mail("李四 <lisi@example.cn>", "收到", body="没有附件")
    # Staff forwarded 王五's mail as an attachment; it carries no Date of its own.
    inner = mail("王五 <wangwu@example.cn>", "王五互评", date=None)
    attach(inner, "王五-互评.xlsx", b"wangwu")
    forward = mail("办公室 <office@example.cn>", "转发：王五互评", date="Wed, 08 May 2024 10:00:00 +0800")
    forward.add_attachment(inner)

    path = tmp_path / "returns" / "inbox.mbox"
    path.parent.mkdir()
    box = mailbox.mbox(path)
    for message in (two, none, forward):
        box.add(message)
    box.close()

    assert [(a.filename, a.data, a.sender, a.date, a.subject, a.source) for a in iter_attachments(path)] == [
        ("张三-互评.xlsx", b"peer", "张三 <zhangsan@example.cn>", DATE_ISO, "两份", f"{path}#1"),
        ("张三-自评.xls", b"self", "张三 <zhangsan@example.cn>", DATE_ISO, "两份", f"{path}#1"),
        # the forwarded message's own sender and subject; the date the forward was sent
        ("王五-互评.xlsx", b"wangwu", "王五 <wangwu@example.cn>", "2024-05-08T10:00:00+08:00", "王五互评", f"{path}#3"),
    ]


def test_thunderbird_mbox_without_suffix(tmp_path):
    message = mail("张三 <zhangsan@example.cn>", "互评")
    attach(message, "a.xlsx", b"a")
    path = tmp_path / "Inbox"  # Thunderbird's folder files have no suffix
    path.write_bytes(b"From - Mon May 06 09:30:00 2024\n" + message.as_bytes() + b"\n")

    assert is_mail_source(path)
    assert [(a.filename, a.source) for a in iter_attachments(path)] == [("a.xlsx", f"{path}#1")]


def test_bad_message_in_mbox_does_not_stop_the_rest(tmp_path):
    good = mail("张三 <zhangsan@example.cn>", "互评")
    attach(good, "a.xlsx", b"a")
    path = tmp_path / "inbox.mbox"
    path.write_bytes(
        b"From x Mon May 06 09:30:00 2024\n\x00\xff garbage\n\n"
        + b"From y Mon May 06 09:31:00 2024\n" + good.as_bytes() + b"\n"
    )

    found = list(iter_attachments(path))
    assert [(type(f).__name__, f.source) for f in found] == [("MailProblem", f"{path}#1"), ("Attachment", f"{path}#2")]


# -- maildir -----------------------------------------------------------------------------------


def test_maildir_sorted_by_key_with_subfolder(tmp_path):
    root = tmp_path / "Maildir"
    box = mailbox.Maildir(root, create=True)
    expected = []
    for number in (1, 2):
        message = mail(f"rater{number}@example.cn", f"第{number}份")
        attach(message, f"{number}.xlsx", str(number).encode())
        stored = mailbox.MaildirMessage(message)
        if number == 2:  # read mail moves to cur/ and gains flags in its file name
            stored.set_subdir("cur")
            stored.set_flags("S")
        key = box.add(stored)
        filename = f"{key}:2,S" if number == 2 else key
        expected.append((key, f"{number}.xlsx", str(root / ("cur" if number == 2 else "new") / filename)))
    sub = box.add_folder("Returns")
    message = mail("rater3@example.cn", "第3份")
    attach(message, "3.xlsx", b"3")
    key = sub.add(message)
    expected.sort()
    expected.append((key, "3.xlsx", str(root / ".Returns" / "new" / key)))

    assert is_mail_source(root)
    found = list(iter_attachments(root))
    assert [(a.filename, a.source) for a in found] == [(name, source) for _key, name, source in expected]


# -- what counts as mail -------------------------------------------------------------------------


def test_is_mail_source(tmp_path):
    (tmp_path / "a.EML").write_bytes(b"")
    (tmp_path / "b.mbox").write_bytes(b"")
    (tmp_path / "c.xlsx").write_bytes(real_xlsx())
    (tmp_path / "d.txt").write_text("给办公室的说明", encoding="utf-8")
    (tmp_path / "plain").mkdir()
    (tmp_path / "new").mkdir()  # a folder of new returns, not a maildir
    looks = tmp_path / "looks"  # a secretary's folders named cur/ and new/: no tmp/, not a maildir
    (looks / "cur").mkdir(parents=True)
    (looks / "new").mkdir()
    returns = tmp_path / "returns"  # all three, but returned workbooks in cur/: not a maildir
    for sub in ("cur", "new", "tmp"):
        (returns / sub).mkdir(parents=True)
    (returns / "cur" / "张三.xlsx").write_bytes(real_xlsx())
    real = tmp_path / "real"  # a maildir: cur/, new/, tmp/, and messages in them
    for sub in ("cur", "new", "tmp"):
        (real / sub).mkdir(parents=True)
    (real / "cur" / "1764000000.M1P1.office:2,S").write_bytes(b"From: a@b.cn\nSubject: x\n\nbody\n")

    assert [p.name for p in sorted(tmp_path.iterdir()) if is_mail_source(p)] == ["a.EML", "b.mbox", "real"]


def test_not_a_mail_source_is_the_callers_mistake(tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(real_xlsx())
    with pytest.raises(ValueError):
        list(iter_attachments(path))

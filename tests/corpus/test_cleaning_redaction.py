from apps.corpus.cleaning import clean_text
from apps.corpus.language import detect_language
from apps.corpus.redaction import redact


def test_html_is_stripped_and_scripts_dropped():
    assert clean_text("<p>Great <b>lamp</b></p><script>alert(1)</script>") == "Great lamp"
    assert clean_text("Fish &amp; chips") == "Fish & chips"


def test_unicode_and_whitespace_normalised():
    assert clean_text("cafe\u0301\u00a0width\u200b  text\r\n\r\n next") == "caf\u00e9 width text\nnext"
    assert clean_text("很好，谢谢！") == "很好，谢谢！"  # full-width punctuation is the customer's own


def test_redacts_email_phone_card_and_names():
    text = ("Mail me at jane.doe@example.com or call +1 415-555-0199, card 4111 1111 1111 1111. "
            "My name is Jane Doe. 我叫王小明，电话13812345678")
    result = redact(text, author="")
    assert "jane.doe@example.com" not in result.text and "[EMAIL]" in result.text
    assert "415-555-0199" not in result.text and "13812345678" not in result.text
    assert "4111 1111 1111 1111" not in result.text and "[CARD]" in result.text
    assert "Jane Doe" not in result.text and "王小明" not in result.text
    assert result.counts["EMAIL"] == 1 and result.counts["PHONE"] == 2 and result.counts["CARD"] == 1


def test_redaction_keeps_ordinary_numbers_and_author_names_go():
    result = redact("Bought 2 lamps for 49.99 in 2026, order 12345. Thanks, Pat!", author="Pat Smith")
    assert "49.99" in result.text and "2026" in result.text and "12345" in result.text
    assert "Pat" not in result.text


def test_language_detection_offline():
    assert detect_language("The battery dies after two hours, very disappointing.") == "en"
    assert detect_language("灯光很柔和，但是蓝牙经常断开") == "zh"
    assert detect_language("") == ""


def test_phone_numbers_written_with_an_area_code_in_brackets_go():
    result = redact("Call me at (415) 555-0132 or +1 (212) 555 0100. Version (2.3) lasted 100 200 hours.", author="")
    assert "555-0132" not in result.text and "555 0100" not in result.text and result.counts["PHONE"] == 2
    assert "(2.3)" in result.text and "100 200" in result.text


def test_parts_of_the_author_name_go_only_where_written_as_a_name():
    result = redact("I will buy it again, I hope. Will Hope here; Hope says hi. will hope", author="Will Hope")
    assert result.text.startswith("I will buy it again, I hope.")
    assert "Will Hope" not in result.text and "Hope says" not in result.text and "will hope" not in result.text


def test_the_issue_examples_go():
    """Issue #15: each of these passed through unchanged."""
    result = redact("Call me Jane Smith … 12 Oak Street, DOB 1990-01-02, SSN 123-45-6789, ID 110101199003071234",
                    author="")
    assert result.text == "Call me [NAME] … [ADDRESS], DOB [DOB], SSN [ID], ID [ID]"
    assert result.counts == {"NAME": 1, "ADDRESS": 1, "DOB": 1, "ID": 2}
    demo = redact("DM me or just call me on +44 7700 900461, name's Jamal Okafor. phone 555-0187. "
                  "My address is 22 Ashford Road, Leeds LS6 2DF.", author="")
    assert demo.text == ("DM me or just call me on [PHONE], name's [NAME]. phone [PHONE]. "
                         "My address is [ADDRESS].")
    zh = redact("我叫张伟，身份证号11010519491231002X，手机13812345678，"
                "住在北京市朝阳区建国路88号，出生日期1990年1月2日", author="")
    assert zh.text == "我叫[NAME]，身份证号[ID]，手机[PHONE]，住在[ADDRESS]，出生日期[DOB]"


def test_chinese_resident_ids_need_their_checksum_unless_called_an_id():
    assert redact("身份证11010519491231002X", author="").text == "身份证[ID]"
    assert redact("订单 110105194912310021 已发货", author="").text == "订单 110105194912310021 已发货"  # bad checksum
    assert redact("ID 110101199003071234", author="").text == "ID [ID]"  # said to be an ID: kept out all the same


def test_introductions_need_a_name_not_a_capitalised_phrase():
    assert redact("I'm Very Happy with it. I'm So Glad I Bought This Lamp", author="").counts == {}
    assert redact("Call me crazy, but call me Monday. This is Great Value.", author="").counts == {}
    assert redact("I'm Jane Smith, this is Tom Becker from Leeds.", author="").text == (
        "I'm [NAME], this is [NAME] from Leeds.")
    assert redact("我是第一次买，我叫了客服，本人方便的时候再说。", author="").counts == {}
    assert redact("本人王芳，我是李娜。我的名字是欧阳娜娜", author="").text == (
        "本人[NAME]，我是[NAME]。我的名字是[NAME]")


def test_dates_prices_and_order_numbers_stay():
    text = ("Order 202405181234 arrived 2024-05-18 for $149.99; my birthday present came on 3 March 2024. "
            "Serial number 4539148803436467, model WH-1000XM4. 订单号：202405181234，2024年5月20日下单，型号LM-2024A")
    assert redact(text, author="").text == text


def test_placeholders_of_every_kind_are_described_in_words():
    from apps.corpus.redaction import KINDS
    from apps.dashboard.views import redaction_summary

    assert set(KINDS) == {"NAME", "EMAIL", "PHONE", "CARD", "ADDRESS", "DOB", "ID", "PASSWORD"}
    assert redaction_summary({"ADDRESS": 2, "DOB": 1, "ID": 1}) == (
        "2 addresses, 1 date of birth, 1 ID or account number")

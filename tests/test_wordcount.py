from screening.wordcount import count_words


def test_plain_words_and_punctuation():
    assert count_words("The principal met with   teachers.") == 5
    assert count_words("") == 0
    assert count_words("  \n\t ") == 0


def test_hyphens_contractions_numbers_count_once():
    assert count_words("job-embedded learning isn't one-size-fits-all") == 4
    assert count_words("In 2025-26 we met 12 times (3.5 hours each).") == 9


def test_lone_punctuation_does_not_count():
    assert count_words("Goals - strategies & timelines • done") == 4
    assert count_words("| a | b |") == 2


def test_em_and_en_dashes_separate_words():
    # LibreOffice's default: em and en dashes are word separators
    assert count_words("trust—and risk–taking") == 4
    assert count_words("pages 4–6") == 3


def test_emails_urls_count_once():
    assert count_words("Write to jo.smith@school.org or see https://example.org/pl-plan today") == 7

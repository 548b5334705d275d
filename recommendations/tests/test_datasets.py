import lzma

import numpy as np
import pytest

from recommendations.evaluation.datasets import (
    load_interactions_file,
    load_movielens_100k,
    load_online_retail,
)


def test_csv_with_header_finds_columns_by_name(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "item_id,user_id,timestamp,weight\nA1,42,2024-01-01T00:00:00Z,3\nB2,43,2024-01-02,1\n"
    )

    log = load_interactions_file(path)

    assert log.users.tolist() == [42, 43]
    assert log.items.tolist() == ["A1", "B2"]
    assert log.weights.tolist() == [3.0, 1.0]
    assert log.timestamps.tolist() == [1704067200.0, 1704153600.0]


def test_tsv_without_header_is_positional(tmp_path):
    path = tmp_path / "events.tsv"
    path.write_text("1\t10\t5\t881250949\n2\t11\t1\t881250950\n")

    log = load_interactions_file(path)

    assert log.users.tolist() == [1, 2]
    assert log.items.tolist() == [10, 11]
    assert log.weights.tolist() == [5.0, 1.0]
    assert log.timestamps.tolist() == [881250949.0, 881250950.0]


def test_sniffed_delimiter_event_names_and_missing_weight(tmp_path):
    path = tmp_path / "events.txt"
    path.write_text("u1;sku-1;purchase\nu2;sku-2;view\nu3;sku-3;\n")

    log = load_interactions_file(path, event_weights={"purchase": 5, "view": 1})

    assert log.users.tolist() == ["u1", "u2", "u3"]
    assert log.weights.tolist() == [5.0, 1.0, 1.0]
    assert log.timestamps is None


def test_online_retail_cleaning(tmp_path):
    rows = [
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
        "536365,85123A,WHITE HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
        "536365,71053,WHITE LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom",
        "C536379,71053,WHITE LANTERN,-1,2010-12-01 09:41:00,3.39,17850,United Kingdom",
        "536380,POST,POSTAGE,1,2010-12-01 09:45:00,18.0,12583,France",
        "536381,22728,ALARM CLOCK,24,2010-12-01 09:45:00,0,12583,France",
        "536382,22728,ALARM CLOCK,24,2010-12-01 09:45:00,3.75,,France",
        "536383,22728,ALARM CLOCK,2,2010-12-02 10:00:00,3.75,12583,France",
    ]
    path = tmp_path / "retail.csv.xz"
    with lzma.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")

    log = load_online_retail(path)
    by_quantity = load_online_retail(path, weight="quantity")

    assert log.users.tolist() == [17850, 17850, 12583]
    assert log.items.tolist() == ["85123A", "71053", "22728"]
    assert log.baskets.tolist() == ["536365", "536365", "536383"]
    assert log.weights.tolist() == [1.0, 1.0, 1.0]
    assert by_quantity.weights.tolist() == [6.0, 6.0, 2.0]
    assert log.item_texts["22728"] == "ALARM CLOCK"
    assert log.user_segments == {17850: "United Kingdom", 12583: "France"}
    assert log.timestamps[0] == np.datetime64("2010-12-01T08:26:00").astype(np.int64)


def test_movielens_layout(tmp_path):
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n")
    (tmp_path / "u.genre").write_text("unknown|0\nAction|1\nComedy|2\n\n")
    (tmp_path / "u.item").write_text(
        "242|Kolya (1996)|24-Jan-1997||http://x|0|0|1\n302|L.A. Confidential|01-Jan-1997||x|0|1|0\n"
    )
    (tmp_path / "u.user").write_text("196|49|M|writer|55105\n186|39|F|executive|00000\n")

    log = load_movielens_100k(tmp_path)

    assert log.users.tolist() == [196, 186]
    assert log.item_texts[242] == "Kolya (1996) Comedy"
    assert log.user_segments[186] == "F:35-44"


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")

    with pytest.raises(ValueError):
        load_interactions_file(path)

"""CSV points for the 2D lab: accepted in the usual shapes, refused with a clear reason."""

import numpy as np
import pytest

from gancore.data.points_csv import parse_points_csv, rescale_points


@pytest.mark.parametrize(
    "text",
    ["x,y\n1,2\n3,4\n", "1,2\n3,4", "1;2\n3;4\n", "1\t2\n3\t4\n", "\ufeffx,y\r\n1,2\r\n3,4\r\n"],
)
def test_common_csv_shapes_parse(text):
    np.testing.assert_array_equal(parse_points_csv(text.encode()), [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"x,y\n1,2\nhello,4\n", "line 3 is not two numbers"),
        (b"1,2\n3,nan\n", "line 2 holds a NaN"),
        (b"1,2\n3,inf\n", "NaN or infinite"),
        (b"1,2,3\n4,5,6\n", "exactly two"),
        (b"", "empty"),
        (b"1,2\n", "at least two"),
        (b"\xff\xfe\x00\x01", "not UTF-8"),
        (b"1,2\x00\n3,4\n", "binary"),
    ],
)
def test_bad_files_are_refused_naming_the_problem(data, match):
    with pytest.raises(ValueError, match=match):
        parse_points_csv(data)


def test_limits_on_rows_and_bytes():
    many = "\n".join(f"{i},{i}" for i in range(11)).encode()
    with pytest.raises(ValueError, match="11 rows; the limit is 10"):
        parse_points_csv(many, max_rows=10)
    with pytest.raises(ValueError, match="limit is 100"):
        parse_points_csv(b"1,2\n" * 50, max_bytes=100)


def test_rescale_fits_the_view_and_keeps_the_shape():
    pts = np.array([[100.0, 10.0], [300.0, 20.0], [200.0, 50.0]])
    out = rescale_points(pts)
    assert np.max(np.abs(out)) == pytest.approx(3.0)
    np.testing.assert_allclose(out[1] - out[0], (pts[1] - pts[0]) * 3.0 / 100.0)

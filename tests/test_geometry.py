"""Pure geometry on known triangles and lines (image coordinates: y down, degrees)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from formcheck.core.geometry import (
    angle_from_vertical,
    angular_velocity,
    deviation_from_line_deg,
    elevation,
    floor_angle_from_points,
    incline,
    joint_angle,
    segment_angle,
    signed_offset_from_line,
    up_vector,
    wrap_deg,
)


def test_joint_angle_on_known_triangles():
    assert joint_angle((1, 0), (0, 0), (0, 1)) == pytest.approx(90)
    assert joint_angle((-1, 0), (0, 0), (1, 0)) == pytest.approx(180)
    assert joint_angle((1, 0), (0, 0), (1, 0)) == pytest.approx(0)
    # 3-4-5 right triangle: angles 36.87 and 53.13 degrees
    a, b, c = (0, 0), (4, 0), (0, 3)
    assert joint_angle(c, b, a) == pytest.approx(math.degrees(math.atan2(3, 4)), abs=1e-9)
    assert joint_angle(b, c, a) == pytest.approx(math.degrees(math.atan2(4, 3)), abs=1e-9)
    # equilateral
    assert joint_angle((0, 0), (1, 0), (0.5, math.sqrt(3) / 2)) == pytest.approx(60)
    # 3-D works too
    assert joint_angle((1, 0, 0), (0, 0, 0), (0, 0, 1)) == pytest.approx(90)


def test_joint_angle_broadcasts_and_propagates_nan():
    a = np.array([[1, 0], [np.nan, 0], [1, 1]])
    b = np.zeros((3, 2))
    c = np.array([[0, 1], [0, 1], [-1, -1]])
    out = joint_angle(a, b, c)
    assert out.shape == (3,)
    assert out[0] == pytest.approx(90) and np.isnan(out[1]) and out[2] == pytest.approx(180)
    assert np.isnan(joint_angle((0, 0), (0, 0), (1, 0)))  # zero-length limb: no angle


def test_segment_angle_reads_like_a_drawing():
    assert segment_angle((0, 0), (1, 0)) == pytest.approx(0)
    assert segment_angle((0, 0), (0, -1)) == pytest.approx(90)  # up in the image
    assert segment_angle((0, 0), (-1, 0)) == pytest.approx(180)
    assert segment_angle((0, 0), (1, 1)) == pytest.approx(-45)
    np.testing.assert_allclose(wrap_deg([190, -190, 360, 180]), [-170, 170, 0, 180])


def test_incline_and_elevation_relative_to_a_tilted_floor():
    # a limb rising 30 deg to the right in the image
    p, q = (0, 0), (math.cos(math.radians(30)), -math.sin(math.radians(30)))
    assert incline(p, q) == pytest.approx(30)
    assert incline(q, p) == pytest.approx(30)  # a line: direction does not matter
    assert elevation(p, q) == pytest.approx(30)
    assert elevation(q, p) == pytest.approx(-30)
    # the camera is tilted so the floor itself rises 10 deg: the limb is 20 deg to the floor
    assert incline(p, q, floor_deg=10) == pytest.approx(20)
    assert angle_from_vertical(p, q, floor_deg=10) == pytest.approx(70)
    # facing the other way reads the same
    assert elevation((0, 0), (-1, -1)) == pytest.approx(45)


def test_signed_offset_above_a_left_to_right_line_is_positive():
    a, b = (0, 100), (100, 100)
    assert signed_offset_from_line((50, 80), a, b) == pytest.approx(20)
    assert signed_offset_from_line((50, 130), a, b) == pytest.approx(-30)
    assert signed_offset_from_line((50, 100), a, b) == pytest.approx(0)


def test_deviation_from_line_sign_follows_up():
    up = up_vector(0.0)
    np.testing.assert_allclose(up, [0, -1], atol=1e-12)
    a, b = (0, 100), (200, 100)
    # hip 20 px above / below the shoulder-ankle line
    above = deviation_from_line_deg((100, 80), a, b, up)
    below = deviation_from_line_deg((100, 120), a, b, up)
    expected = 180 - joint_angle(a, (100, 80), b)
    assert above == pytest.approx(expected) and above > 0
    assert below == pytest.approx(-expected)
    assert deviation_from_line_deg((100, 100), a, b, up) == pytest.approx(0)


def test_up_vector_turns_with_the_floor():
    u = up_vector(90.0)  # floor pointing up the image: "up" is image-left
    np.testing.assert_allclose(u, [-1, 0], atol=1e-12)
    assert up_vector(np.array([0.0, 30.0])).shape == (2, 2)


def test_floor_line_from_contact_points():
    # contacts along a floor that rises 10 deg to the right in the image
    xs = np.array([100, 300, 500, 900])
    ys = 600 - np.tan(np.radians(10)) * xs
    assert floor_angle_from_points(np.c_[xs, ys]) == pytest.approx(10, abs=1e-6)
    # same line given right to left, with a missing point
    pts = np.c_[xs, ys][::-1].astype(float)
    pts = np.vstack([pts, [np.nan, 5]])
    assert floor_angle_from_points(pts) == pytest.approx(10, abs=1e-6)
    # falling to the right
    assert floor_angle_from_points(np.c_[xs, 600 + 0.1 * xs]) == pytest.approx(
        -math.degrees(math.atan(0.1)), abs=1e-6)


def test_floor_line_degenerate_and_implausible_cases():
    assert floor_angle_from_points([(5, 5)]) == 0.0
    assert floor_angle_from_points([(5, 5), (5, 9)]) == 0.0  # no horizontal extent
    assert floor_angle_from_points(np.full((3, 2), np.nan)) == 0.0
    # a "floor" at 60 deg is a landmark error: clamped to 30
    xs = np.array([0.0, 100.0])
    assert floor_angle_from_points(np.c_[xs, -np.tan(np.radians(60)) * xs]) == 30.0


def test_angular_velocity():
    t = np.arange(5) / 10.0
    a = 20.0 * t * 10  # 20 deg per 0.1 s = 200 deg/s
    np.testing.assert_allclose(angular_velocity(a, t), 200.0)
    assert angular_velocity([5.0], [0.0]).tolist() == [0.0]

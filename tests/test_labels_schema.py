"""``formcheck evaluate`` checks labels.toml against its schema and says which entry is wrong,
in one line (issue 10, cases 11 and 12)."""

from __future__ import annotations

import re
import zipfile

import pytest

from formcheck.analysis.evaluate import load_labels
from formcheck.analysis.labels import LabelsError
from formcheck.cli import main

GOOD = '''
[[clip]]
file = "g.mp4"
exercise = "plank"
view = "side"
faults = ["hips_too_low"]
'''


def labels(tmp_path, text: str):
    p = tmp_path / "labels.toml"
    p.write_text(text)
    return p


BROKEN = {
    "malformed TOML": ("[[clip]\nfile = ", "not valid TOML"),
    "no file": ('[[clip]]\nexercise = "plank"\n', "'file' is missing"),
    "no exercise": ('[[clip]]\nfile = "a.mp4"\n', "'exercise' is missing"),
    "clip is a string": ('clip = "oops"\n', "'clip' must be a list"),
    "reps is text": ('[[clip]]\nfile = "a.mp4"\nexercise = "plank"\nreps = "three"\n',
                     "clip 2 (a.mp4): reps must be a whole number"),
    "faults is a string": ('[[clip]]\nfile = "a.mp4"\nexercise = "plank"\nfaults = "x"\n',
                           "faults must be a list of check ids"),
    "unknown exercise": ('[[clip]]\nfile = "a.mp4"\nexercise = "squat"\n',
                         "unknown exercise 'squat'"),
    "misspelt key": ('[[clip]]\nfile = "a.mp4"\nexercise = "plank"\nfault = ["x"]\n',
                     "unknown key 'fault'"),
    "hold backwards": ('[[clip]]\nfile = "a.mp4"\nexercise = "plank"\nholds = [[5, 2]]\n',
                       "holds must be"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_wrong_labels_are_one_line_naming_the_entry(tmp_path, capsys, case):
    text, words = BROKEN[case]
    p = labels(tmp_path, GOOD + text if case not in ("malformed TOML", "clip is a string")
               else text)
    with pytest.raises(LabelsError, match=re.escape(words)):
        load_labels(p)
    rc = main(["evaluate", "--labels", str(p)])
    err = capsys.readouterr().err
    assert rc == 2 and words in err and err.count("\n") == 1 and "Traceback" not in err


def test_faults_string_is_not_split_into_letters(tmp_path):
    p = labels(tmp_path, '[[clip]]\nfile = "a.mp4"\nexercise = "plank"\nfaults = "xy"\n')
    with pytest.raises(LabelsError):
        load_labels(p)


def test_unknown_exercise_option_is_a_usage_error(tmp_path, capsys):
    p = labels(tmp_path, GOOD)
    with pytest.raises(SystemExit) as e:
        main(["evaluate", "--labels", str(p), "--exercise", "squat"])
    assert e.value.code == 2 and "invalid choice: 'squat'" in capsys.readouterr().err


def test_empty_labels_file_cannot_pass_a_threshold(tmp_path, capsys):
    p = labels(tmp_path, "# nothing labelled yet\n")
    rc = main(["evaluate", "--labels", str(p), "--min-reps", "0.9"])
    out, err = capsys.readouterr()
    assert rc == 1 and "no clips to evaluate" in err


def test_model_path_is_honoured(tmp_path, capsys):
    p = labels(tmp_path, GOOD)
    text = tmp_path / "model.task"
    text.write_text("not a model")
    rc = main(["evaluate", "--labels", str(p), "--model-path", str(text)])
    err = capsys.readouterr().err
    assert rc == 2 and "model.task" in err and err.count("\n") == 1


def test_model_zip_without_pose_detector_is_one_line(tmp_path, capsys, samples):
    bundle = tmp_path / "half.task"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("pose_landmarks_detector.tflite", b"\0" * 16)
    clip = samples / "plank_09.mp4"
    for argv in (["analyze", str(clip), "-e", "plank", "-q"],
                 ["evaluate", "--labels", str(labels(tmp_path, GOOD))]):
        rc = main([*argv, "--model-path", str(bundle)])
        err = capsys.readouterr().err
        assert rc == 2 and "missing pose_detector.tflite" in err and err.count("\n") == 1, err

"""Shared by the test_cli_* files: the shipped demo model as files, and running `fibnlr` in-process."""
import json

import numpy as np

from fibnlr import cli, demo_data


def demo_files(folder, calib=96, test=200, labels=True):
    """The shipped ResNet's path, calibration .npy and a labelled test .npz (already normalised float32)."""
    calib_x, _, test_x, test_y = demo_data.load_subset()
    np.save(folder / "calib.npy", demo_data.to_input(calib_x[:calib]))
    if labels:
        np.savez(folder / "test.npz", x=demo_data.to_input(test_x[:test]), y=test_y[:test])
    return demo_data.model_path("resnet"), folder / "calib.npy", folder / "test.npz"


def run_json(capsys, *argv):
    """main([... '--json']): (exit status, parsed stdout), or (exit status, stderr) when it failed."""
    rc = cli.main([*map(str, argv), "--json", "--quiet"])
    captured = capsys.readouterr()
    return rc, json.loads(captured.out) if rc == 0 else captured.err

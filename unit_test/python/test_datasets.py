"""fibnlr.datasets.load_images: .npy, .npz and image folders; scaling; bad input named."""
import numpy as np
import pytest
from PIL import Image

from fibnlr.datasets import class_names, load_images


def test_npz_with_labels_and_keys(tmp_path):
    x = np.arange(2 * 3 * 4 * 4, dtype=np.float64).reshape(2, 3, 4, 4)
    np.savez(tmp_path / "d.npz", x=x, y=np.array([1, 0]))
    got, y = load_images(tmp_path / "d.npz")
    assert got.dtype == np.float32 and np.array_equal(got, x.astype(np.float32))  # floats as stored
    assert y.tolist() == [1, 0] and y.dtype == np.int64
    np.savez(tmp_path / "e.npz", image=x, label=np.array([2, 3]))
    got, y = load_images(tmp_path / "e.npz", key=("image", "label"))
    assert y.tolist() == [2, 3] and got.shape == (2, 3, 4, 4)
    got, y = load_images(tmp_path / "e.npz", key="image")
    assert y is None
    with pytest.raises(ValueError, match=r"no array 'pixels'.*'image', 'label'"):
        load_images(tmp_path / "e.npz", key="pixels")
    with pytest.raises(ValueError, match="none named 'x'"):
        load_images(tmp_path / "e.npz")


def test_npy_uint8_is_scaled_then_normalised(tmp_path):
    x = np.array([[[0, 255], [51, 102]]], np.uint8)  # [1, 2, 2] grey
    np.save(tmp_path / "d.npy", x)
    got, y = load_images(tmp_path / "d.npy", channels=1, mean=0.5, std=0.25)
    assert y is None and got.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(got[0, 0], [[-2.0, 2.0], [-1.2, -0.4]], rtol=1e-6)


def test_per_channel_mean_std(tmp_path):
    x = np.ones((2, 3, 1, 1), np.float32)
    np.save(tmp_path / "d.npy", x)
    got, _ = load_images(tmp_path / "d.npy", mean=[0, 1, 2], std=[1, 1, 0.5])
    assert got[:, :, 0, 0].tolist() == [[1, 0, -2], [1, 0, -2]]
    with pytest.raises(ValueError, match="mean has 2 values; expected 1 or one per channel \\(3\\)"):
        load_images(tmp_path / "d.npy", mean=[0, 1])


def _folder(tmp_path, mode="RGB"):
    root = tmp_path / "images"
    colours = {"cat": (255, 0, 0), "dog": (0, 0, 255)}
    for name, colour in colours.items():
        (root / name).mkdir(parents=True)
        for i in range(2):
            Image.new(mode, (6, 4), colour if mode == "RGB" else 200).save(root / name / f"{i}.png")
    (root / "dog" / "notes.txt").write_text("not an image")
    return root


def test_image_folder_rgb_and_grey_resized(tmp_path):
    root = _folder(tmp_path)
    assert class_names(root) == ["cat", "dog"]
    x, y = load_images(root, channels=3, size=(8, 10))
    assert x.shape == (4, 3, 8, 10) and y.tolist() == [0, 0, 1, 1]
    assert x[0, :, 3, 4].tolist() == [1.0, 0.0, 0.0] and x[2, :, 3, 4].tolist() == [0.0, 0.0, 1.0]
    grey, _ = load_images(root, channels=1)  # no size: as stored, 4 x 6
    assert grey.shape == (4, 1, 4, 6)
    # Pillow's luminance of pure red: 299/1000 of 255
    assert grey[0, 0, 0, 0] == pytest.approx(round(255 * 0.299) / 255, abs=1 / 255)


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="nothing.npz does not exist"):
        load_images(tmp_path / "nothing.npz")
    (tmp_path / "d.csv").write_text("1,2")
    with pytest.raises(ValueError, match="expected a .npz or .npy file or a folder"):
        load_images(tmp_path / "d.csv")
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(ValueError, match="dtype <U1; expected numbers"):
        load_images(tmp_path / "s.npy")
    np.savez(tmp_path / "l.npz", x=np.zeros((3, 2, 2)), y=np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="expected 3 integer class indices"):
        load_images(tmp_path / "l.npz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class folders"):
        load_images(tmp_path / "empty")
    root = _folder(tmp_path)
    (root / "cat" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="broken.png is not a readable image"):
        load_images(root, channels=3)

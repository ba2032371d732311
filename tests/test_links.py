"""Links that reopen a setting (gancore.links, `python -m gancore link`, the pages' URL query).

A link must round-trip every setting exactly: for every preset and every key the CLI's --set
accepts, the configuration rebuilt from the link equals the one the link was made from; and
a page opened on a link trains that configuration and writes the very same link back."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from gancore import links
from gancore.data.toy import TOY_DATASETS
from gancore.models.dcgan import COND_MODES, D_NORMS, DCGANConfig
from gancore.models.mlp import ACTIVATIONS, NOISES, MLPConfig
from gancore.presets.image import DATA_KEYS, list_image_presets
from gancore.presets.toy import list_presets
from gancore.train.config import OPTIMIZERS, TrainConfig
from gancore.train.losses import LOSSES

ROOT = Path(__file__).resolve().parents[1]
PAGES = {p: str(ROOT / f"pages/{f}.py") for p, f in [("lab-1d", "lab_1d"), ("lab-2d", "lab_2d")]}
PAGES["images"] = str(ROOT / "pages/train_images.py")
PAGES["image-to-image"] = str(ROOT / "pages/image_to_image.py")
KEYS = {"lab-1d": "lab1d", "lab-2d": "lab2d", "images": "imglab", "image-to-image": "p2plab"}
ALL_PRESETS = [*list_presets(), *list_image_presets()]
CHOICES = [*LOSSES, *OPTIMIZERS, *ACTIVATIONS, *NOISES, *COND_MODES, *D_NORMS]
# keys that no single edit can change on its own, and why
FIXED_BY_DATA = {
    "model.data_dim": "a toy dataset's dimension decides it (1D and 2D are different pages)",
    "data.path": "only for an uploaded folder, which a link cannot carry",
    "train.diffaugment": "augments images: toy presets take none (tested on image presets)",
}


def _candidates(value):
    """Other values to try for a field (the first valid one that differs is used)."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        # 1000: stacked-mnist's classes (num_classes is 0 or 1000 there)
        return [value + 1, value - 1, value * 2, 3, 2, 1, 10, 0, 28, 32, 1000]
    if isinstance(value, float):
        return [value * 1.5, value * 0.7, value + 0.1, 0.1, 0.3, 0.0003]
    if isinstance(value, (list, tuple)):
        return [[0.4, 0.98], [0.0, 0.9]]
    if isinstance(value, str):
        return [c for c in CHOICES if c != value] + ["fashion-mnist", "mnist", "spiral", "color"]
    return []


def _keys(preset: dict) -> list[tuple[str, object]]:
    """Every --set key of this preset with its current value (data: the dataset's own)."""
    model_cls = DCGANConfig if preset["kind"] == "image" else MLPConfig
    out = [(f"model.{f.name}", preset["model"][f.name]) for f in dataclasses.fields(model_cls)]
    out += [(f"train.{f.name}", preset["train"][f.name]) for f in dataclasses.fields(TrainConfig)]
    if preset["kind"] == "image":
        out += [(f"data.{k}", preset["data"].get(k, 1000)) for k in sorted(DATA_KEYS)]
    else:
        params = inspect.signature(TOY_DATASETS[preset["data"]["name"]].factory).parameters
        out += [("data.name", preset["data"]["name"])]
        out += [(f"data.{k}", preset["data"].get(k, p.default)) for k, p in params.items()]
    return out


def _edit(name: str, key: str, value) -> tuple[str, dict] | None:
    for candidate in _candidates(value):
        item = f"{key}={links.format_value(candidate)}"
        try:
            current = links.resolve(name, [item])
        except ValueError:
            continue
        if current != links.resolve(name):
            return item, current
    return None


@pytest.mark.parametrize("name", ALL_PRESETS)
def test_every_key_of_every_preset_round_trips_exactly(name):
    base = links.resolve(name)
    page = links.page_for(base)
    edited = []
    for key, value in _keys(base):
        found = _edit(name, key, value)
        if found is None:
            assert key in FIXED_BY_DATA, f"{name}: no valid edit of {key} was found"
            assert key != "train.diffaugment" or base["kind"] == "toy"
            continue
        item, current = found
        query = links.link_query(name, current)
        assert query == {"preset": name, **dict([item.split("=", 1)])}, (key, query)
        link = links.read_link(query, page=page)
        assert link.resolved() == current, key
        # through the URL text too: what the browser's address bar holds
        url = links.link_url(query, page=page)
        back = dict(parse_qsl(urlsplit(url).query))
        assert links.read_link(back, page=page).resolved() == current, key
        edited.append(key)
    assert len(edited) >= 25, edited  # every train key, every model key, the data's own


def test_many_edits_at_once_and_a_new_dataset_round_trip():
    items = [
        "data.name=spiral",
        "data.noise=0.1",
        "model.g_width=32",
        "model.activation=relu",
        "train.loss=wgan_gp",
        "train.lr_g=0.00037",
        "train.betas_d=0.1,0.95",
        "train.seed=7",
        "train.mixed_precision=false",
    ]
    current = links.resolve("ring8", items)
    assert current["data"] == {"name": "spiral", "noise": 0.1}  # ring8's own keys dropped
    query = links.link_query("ring8", current, view={"view.layers": "real,fake"})
    assert links.read_link(query, page="lab-2d").resolved() == current
    assert query["data.name"] == "spiral" and query["train.lr_g"] == "0.00037"
    assert query["train.betas_d"] == "0.1,0.95" and query["view.layers"] == "real,fake"


@pytest.mark.parametrize(
    ("query", "key", "said"),
    [
        ({"preset": "nope"}, "preset", "not a preset of this page"),
        ({"preset": "dcgan-mnist"}, "preset", "not a preset of this page"),
        ({"preset": "ring8", "train.lr_g": "50"}, "train.lr_g", "(0.0, 10.0]"),
        ({"preset": "ring8", "train.lr_g": "abc"}, "train.lr_g", "expected a number"),
        ({"preset": "ring8", "train.d_steps": "0"}, "train.d_steps", "[1, 100]"),
        ({"preset": "ring8", "train.loss": "magic"}, "train.loss", "hinge"),
        ({"preset": "ring8", "model.g_width": "100000"}, "model.g_width", "[2, 512]"),
        ({"preset": "ring8", "train.nope": "1"}, "train.nope", "allowed"),
        ({"preset": "ring8", "colour": "red"}, "colour", "--set keys"),
        ({"preset": "ring8", "data.std": "-1"}, "data.std", "data.std"),
        ({"preset": "ring8", "view.layers": "real,sky"}, "view.layers", "manifold"),
    ],
)
def test_bad_links_name_the_key_and_what_it_allows(query, key, said):
    with pytest.raises(links.LinkError) as err:
        links.read_link(query, page="lab-2d")
    assert err.value.key == key
    assert said in str(err.value)


def test_cli_prints_the_link_and_refuses_bad_ones():
    cmd = [sys.executable, "-m", "gancore", "link", "ring8", "--set", "train.lr_g=5e-4"]
    out = subprocess.run([*cmd, "--set", "view.layers=real"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    url = out.stdout.strip()
    assert url == "http://localhost:8501/lab-2d?preset=ring8&train.lr_g=0.0005&view.layers=real"
    bad = subprocess.run([*cmd, "--set", "train.d_steps=0"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == (
        "gancore link: train.d_steps='0': d_steps must be an integer in [1, 100], got 0"
    )
    img = subprocess.run(
        [sys.executable, "-m", "gancore", "link", "cgan-mnist", "--base", "https://x.org/app/"],
        capture_output=True,
        text=True,
    )
    assert img.stdout.strip() == "https://x.org/app/images?preset=cgan-mnist"


# ----- the pages (AppTest) -----


def _open(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(PAGES[page], default_timeout=180)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _trains(at: AppTest, page: str) -> dict:
    lab = at.session_state[KEYS[page]]
    return {**lab.preset, "train": {**lab.preset["train"], **lab.config}}


def _shown_link(at: AppTest) -> dict[str, str]:
    (code,) = [c.value for c in at.code if "preset=" in c.value]
    return dict(parse_qsl(urlsplit(code).query))


@pytest.mark.parametrize("name", [n for n in list_presets()])
def test_a_toy_page_opened_on_a_link_trains_it_and_writes_it_back(name):
    page = links.page_for(links.resolve(name))
    items = ["train.seed=5", "train.lr_d=0.00041", "train.d_steps=3", "model.d_width=48"]
    items += ["train.batch_size=200", "train.betas_g=0.3,0.95", "train.ema_decay=0.99"]
    items += ["data.name=mixture2"] if page == "lab-1d" else ["data.name=moons", "data.noise=0.2"]
    if page == "lab-2d":
        items.append("view.layers=real,fake,manifold")
    query = links.link_query(name, links.resolve(name, [i for i in items if "view" not in i]))
    if page == "lab-2d":
        query["view.layers"] = "real,fake,manifold"
    at = _open(page, query)
    assert _trains(at, page) == links.read_link(query, page=page).resolved()
    assert dict(at.query_params) == query
    assert _shown_link(at) == query
    assert not at.warning
    if page == "lab-2d":
        assert at.session_state["lab2d_layers"] == ["real", "fake", "manifold"]


def test_the_link_a_page_gives_reopens_the_same_page():
    at = _open("lab-2d", {})
    assert dict(at.query_params) == {"preset": "ring8"}
    at.selectbox(key="lab2d_preset").set_value("toy-wgan-gp").run()
    at.selectbox(key="lab2d_dataset_toy-wgan-gp").set_value("grid25").run()
    at.number_input(key="lab2d_seed").set_value(11).run()
    at.selectbox(key="lab2d_toy-wgan-gp_loss").set_value("hinge").run()
    at.number_input(key="lab2d_toy-wgan-gp_lr_g").set_value(0.0007).run()
    at.slider(key="lab2d_toy-wgan-gp_b1_d").set_value(0.2).run()
    at.pills(key="lab2d_layers").set_value(["discriminator", "fake"]).run()
    assert not at.exception, [e.value for e in at.exception]
    copied = _shown_link(at)
    assert copied == dict(at.query_params)
    assert copied["preset"] == "toy-wgan-gp" and copied["data.name"] == "grid25"
    assert copied["train.loss"] == "hinge" and copied["train.lr_g"] == "0.0007"
    reopened = _open("lab-2d", copied)
    assert _trains(reopened, "lab-2d") == _trains(at, "lab-2d")
    for key in ("lab2d_preset", "lab2d_seed", "lab2d_layers", "lab2d_toy-wgan-gp_loss"):
        assert reopened.session_state[key] == at.session_state[key], key
    assert _shown_link(reopened) == copied


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"preset": "ring8", "train.lr_g": "50"}, "lr_g must be a number in (0.0, 10.0]"),
        ({"preset": "ring8", "model.g_width": "x"}, "expected an integer"),
        ({"preset": "grid99"}, "choose one of"),
    ],
)
def test_a_bad_link_opens_the_defaults_and_says_why(query, said):
    at = _open("lab-2d", query)
    (warning,) = at.warning
    assert said in warning.value and "opened on" in warning.value
    lab = at.session_state["lab2d"]
    preset = query["preset"] if query["preset"] != "grid99" else "ring8"
    assert lab.name == preset and lab.preset == links.resolve(preset)
    assert dict(at.query_params) == {"preset": preset}


def test_the_image_page_round_trips_its_link(mnist_root, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    items = ["data.name=fashion-mnist", "model.g_features=16", "train.seed=4"]
    items += ["train.loss=hinge", "train.lr_g=0.00033", "model.image_size=32"]
    query = links.link_query("dcgan-mnist", links.resolve("dcgan-mnist", items))
    at = _open("images", query)
    assert _trains(at, "images") == links.read_link(query, page="images").resolved()
    assert at.session_state["imglab_size_dcgan-mnist"] == 32
    assert at.session_state["imglab_data_dcgan-mnist"] == "fashion-mnist"
    assert dict(at.query_params) == query and _shown_link(at) == query
    at.selectbox(key="imglab_dcgan-mnist_loss").set_value("least_squares").run()
    assert dict(at.query_params)["train.loss"] == "least_squares"


def test_a_link_to_an_ab_pair_with_another_d_shape():
    cmd = [sys.executable, "-m", "gancore", "link", "grid25", "--set", "train.pack=2"]
    out = subprocess.run([*cmd, "--set", "b.train.pack=1"], capture_output=True, text=True)
    url = out.stdout.strip()
    assert url == "http://localhost:8501/lab-2d?preset=grid25&train.pack=2&b.train.pack=1"
    at = _open("lab-2d", dict(parse_qsl(urlsplit(url).query)))
    lab = at.session_state["lab2d"]
    assert lab.config["pack"] == 2 and lab.handle.b["config"]["pack"] == 1
    assert lab.handle.b["step"] == 0 and dict(at.query_params) == dict(
        parse_qsl(urlsplit(url).query)
    )


# ----- the image-to-image page (pix2pix) -----


def _p2p_trains(at: AppTest) -> dict:
    """What the page's GAN trains with, in a preset's shape (lambda as edited live)."""
    lab = at.session_state["p2plab"]
    model = {**lab.preset["model"], "l1_lambda": lab.handle.status["l1_lambda"]}
    return {**lab.preset, "model": model, "train": {**lab.preset["train"], **lab.config}}


def test_the_image_to_image_page_round_trips_its_link(mnist_root, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    items = ["data.name=mnist", "train.seed=3", "train.loss=hinge", "train.lr_g=0.00031"]
    items += ["model.l1_lambda=25.0", "model.g_features=16"]
    name = "pix2pix-inpaint-fashion"
    query = links.link_query(name, links.resolve(name, items))
    assert query["model.l1_lambda"] == "25.0" and query["data.name"] == "mnist"
    at = _open("image-to-image", query)
    assert _p2p_trains(at) == links.read_link(query, page="image-to-image").resolved()
    assert at.session_state["p2plab_task"] == "inpaint"
    assert at.session_state["p2plab_data_inpaint"] == "mnist"
    assert at.session_state["p2plab_l1_lambda"] == 25.0
    assert dict(at.query_params) == query and _shown_link(at) == query
    assert not at.warning
    # a live edit of lambda (and of the loss) is written back, and the new link reopens it
    at.number_input(key="p2plab_l1_lambda").set_value(40.0).run()
    at.selectbox(key="p2plab_loss").set_value("least_squares").run()
    assert not at.exception, [e.value for e in at.exception]
    copied = _shown_link(at)
    assert copied == dict(at.query_params)
    assert copied["model.l1_lambda"] == "40.0" and copied["train.loss"] == "least_squares"
    reopened = _open("image-to-image", copied)
    assert _p2p_trains(reopened) == _p2p_trains(at)
    assert reopened.session_state["p2plab"].handle.status["l1_lambda"] == 40.0


@pytest.mark.parametrize(
    ("query", "key", "said"),
    [
        ({"model.l1_lambda": "1e9"}, "model.l1_lambda", "l1_lambda must be a number in [0, "),
        ({"data.name": "cifar10"}, "data.name", "this page offers ['mnist', 'fashion-mnist']"),
        ({"data.path": "/etc"}, "data.path", "data.path applies to data.name=pairs only"),
        ({"train.pack": "2"}, "train.pack", "not supported by pix2pix"),
    ],
)
def test_a_bad_image_to_image_link_opens_the_defaults_and_says_why(
    query, key, said, mnist_root, monkeypatch
):
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    with pytest.raises(links.LinkError) as err:
        links.read_link({"preset": "pix2pix-edges-mnist", **query}, page="image-to-image")
    assert err.value.key == key and said in str(err.value)
    at = _open("image-to-image", {"preset": "pix2pix-edges-mnist", **query})
    (warning,) = at.warning
    assert key in warning.value and said in warning.value and "opened on" in warning.value
    assert _p2p_trains(at) == links.resolve("pix2pix-edges-mnist")
    assert dict(at.query_params) == {"preset": "pix2pix-edges-mnist"}


def test_cli_prints_an_image_to_image_link():
    cmd = [sys.executable, "-m", "gancore", "link", "pix2pix-superres-mnist"]
    out = subprocess.run(
        [*cmd, "--set", "model.l1_lambda=20", "--set", "train.lr_d=0.0001"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "http://localhost:8501/image-to-image?preset=pix2pix-superres-mnist"
        "&model.l1_lambda=20.0&train.lr_d=0.0001"
    )
    bad = subprocess.run([*cmd, "--set", "model.l1_lambda=-1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "model.l1_lambda='-1': l1_lambda must be a number in [0, 10000.0]" in bad.stderr

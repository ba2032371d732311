"""What a worker holds for one live pix2pix run: the GAN, its L1-only twin, and their pictures.

The page "Image to image" trains a U-Net with a PatchGAN (GAN loss + lambda * L1) and, side by
side, the same U-Net from the same seed on lambda * L1 alone: the twin gets the same wall
time as the GAN, in alternate turns (the same number of rounds for a step button), so what
the GAN term adds (sharpness) and what it costs (time per round) show on the same examples.
A view is plain arrays and PNG bytes: the fixed test examples as rows input | pix2pix |
L1 only | target, D's patch map over one output, and, for a drawn input, both models'
translations of it.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from gancore import tasks
from gancore.live.runs import LiveRun
from gancore.presets.pix2pix import build_pix2pix_run, test_pairs
from gancore.train.pix2pix import Pix2PixTrainer, translate
from gancore.train.trainer import DivergedError
from gancore.viz import render

N_EXAMPLES = 8  # fixed test examples on the page
DRAWING_HOLD_SECONDS = 0.5  # timed training turns wait this long after a drawing


class Pix2PixRun(LiveRun):
    """A pix2pix run (self.trainer) and its L1-only twin (self.baseline), trained in turn."""

    kind = "pix2pix"

    def _build(self) -> Pix2PixTrainer:
        trainer, self.source = build_pix2pix_run(self.preset)
        l1_only = {**self.preset, "model": {**self.preset["model"], "adversarial": False}}
        self.baseline, _ = build_pix2pix_run(l1_only)
        x, y, _ = test_pairs(self.preset, N_EXAMPLES)
        self.inputs, self.targets = torch.from_numpy(x), torch.from_numpy(y)
        self.task = self.preset["model"]["task"]
        self._drawn_at = -math.inf  # when a drawing was last translated (time.monotonic)
        self._twin_behind = 0.0  # seconds of training the twin owes the GAN
        return trainer

    # --- training: the GAN and its twin in alternate turns, each for as long ---------------------

    def advance(
        self, *, seconds: float | None = None, steps: int | None = None, only: str | None = None
    ) -> int:
        """A step button trains both for the same rounds. A timed turn trains one of the two,
        the GAN or (while it is behind in time) the twin, so that a request waits for one
        round at most; and none for DRAWING_HOLD_SECONDS after a drawing, so that the next
        drawing of a stroke is answered at once."""
        if seconds is None:
            done = super().advance(steps=steps, only=only)
            if done and only != "d":  # the twin has no D: "Step D only" leaves it alone
                self._train_twin(steps=done)
            return done
        if time.monotonic() - self._drawn_at < DRAWING_HOLD_SECONDS:
            time.sleep(min(seconds, 0.005))  # not a busy loop in the worker meanwhile
            return 0
        t0 = time.perf_counter()
        if self._twin_behind > 0:
            self._train_twin(seconds=min(self._twin_behind, seconds))
            self._twin_behind -= time.perf_counter() - t0
            return 0
        done = super().advance(seconds=seconds, steps=steps)
        self._twin_behind += time.perf_counter() - t0
        return done

    def _train_twin(self, **kw: Any) -> None:
        try:
            self.baseline.run(**kw)
        except DivergedError as err:
            self.error = f"The L1-only twin diverged: {err}"

    def status(self) -> dict[str, Any]:
        """LiveRun.status, with the GAN's L1 weight (``configure(l1_lambda=...)`` edits it)."""
        return {**super().status(), "l1_lambda": float(self.trainer.model_config.l1_lambda)}

    def extra_metrics(self) -> dict[str, float]:
        last = self.baseline.history[-1] if self.baseline.history else {}
        out = {"baseline_step": float(self.baseline.step_count)}
        if "l1" in last:
            out["l1_baseline"] = float(last["l1"])
        return out

    # --- pictures ------------------------------------------------------------------------------

    def outputs(self) -> tuple[np.ndarray, np.ndarray]:
        """Both models' translations of the fixed examples."""
        return (
            translate(self.trainer.translator, self.inputs).numpy(),
            translate(self.baseline.translator, self.inputs).numpy(),
        )

    def examples_png(self) -> bytes:
        """Rows: input, pix2pix, L1 only, target (one column per fixed test example)."""
        gan, l1 = self.outputs()
        rows = np.concatenate([self.inputs.numpy(), gan, l1, self.targets.numpy()])
        return render.to_png(render.image_grid(rows, nrow=N_EXAMPLES))

    def prepare_drawing(self, drawing: Any, *, ink: bool = True) -> np.ndarray:
        """A drawn (H, W) picture in [-1, 1] (ink +1) as this task's input (1, C, H, W): for
        edges, the Sobel edges of the strokes (``ink``, the default: you draw the digit) or the
        strokes as the sketch itself; its 4x4 block means upsampled for superres4; its centre
        hidden for inpaint; itself for pairs."""
        m = self.preset["model"]
        arr = np.asarray(drawing, dtype=np.float32)
        if arr.shape != (m["image_size"], m["image_size"]):
            raise ValueError(
                f"a drawing must be {m['image_size']} x {m['image_size']}, got {arr.shape}"
            )
        x = np.repeat(arr[None, None], m["channels"], axis=1)
        if self.task in ("superres4", "inpaint") or (self.task == "edges" and ink):
            x = tasks.make_input(self.task, x)
        return tasks.check_images(x, "the drawing").numpy()

    def view(
        self, *, drawn: Any = None, ink: bool = True, example: int = 0, pictures: bool = True
    ) -> dict[str, Any]:
        """The examples picture, D's patch map over output ``example``, the numbers; with
        ``drawn`` (H, W) also both models' translations of it (``pictures=False``: only those)."""
        out: dict[str, Any] = {"task": self.task, "baseline_step": self.baseline.step_count}
        if drawn is not None:
            self._drawn_at = time.monotonic()
            x = self.prepare_drawing(drawn, ink=ink)
            out["drawn_input"] = x[0]
            out["drawn_gan"] = translate(self.trainer.translator, x)[0]
            out["drawn_l1"] = translate(self.baseline.translator, x)[0]
        if not pictures:
            return out
        png = self.examples_png()
        k = int(np.clip(example, 0, N_EXAMPLES - 1))
        x = self.inputs[k : k + 1]
        fake = translate(self.trainer.translator, x)
        out["patch_map"] = self.trainer.patch_map(x, fake)[0].numpy()
        out["patch_output"] = fake[0].numpy()
        out["patch_target"] = self.targets[k].numpy()
        out["critic"] = not self.trainer.spec.probabilities
        self.record()
        self.replay.offer(self.trainer.step_count, lambda: png)
        out.update(examples_png=png, timeline=list(self.timeline), frames=len(self.replay.items))
        return out

    def describe(self) -> dict[str, Any]:
        """Facts for checks and tests."""
        gan, l1 = self.outputs()
        return {
            "task": self.task,
            "step": self.trainer.step_count,
            "baseline_step": self.baseline.step_count,
            "examples": list(self.inputs.shape),
            # (H, W): where the drawing canvas can start (the sketch, or the digit as ink)
            "first_input": self.inputs[0].mean(0).numpy(),
            "first_target": self.targets[0].mean(0).numpy(),
            "example_l1_gan": float(np.abs(gan - self.targets.numpy()).mean()),
            "example_l1_baseline": float(np.abs(l1 - self.targets.numpy()).mean()),
            "timeline_steps": [row["step"] for row in self.timeline],
            "frames": len(self.replay.items),
        }

    def _replay_picture(self, snap: bytes) -> dict[str, Any]:
        return {"examples_png": snap}

    def export_zip(self) -> bytes:
        """The pix2pix model as a checkpoint zip (config, weights, card, examples picture)."""
        from gancore.io.zips import checkpoint_zip_bytes

        t = self.trainer
        gan, l1 = self.outputs()
        y = self.targets.numpy()
        config = self.config.checkpoint_config(
            metrics={
                "step": t.step_count,
                "example_l1": float(np.abs(gan - y).mean()),
                "example_l1_of_l1_only_twin": float(np.abs(l1 - y).mean()),
            },
            command=f"trained in the gancore app's Image to image page from {self.name!r}",
            train=t.config,
            model=t.model_config,  # with the L1 weight as edited live
        )
        x = self.inputs.numpy()
        png = render.to_png(render.image_grid(np.concatenate([x, gan, y]), nrow=N_EXAMPLES))
        return checkpoint_zip_bytes(
            f"gancore-{self.name}",
            generator=t.translator,
            discriminator=t.discriminator,
            config=config,
            sample_png=png,
        )

    # --- recovery state ------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        out = super().state()
        baseline = self.baseline.state_dict()
        baseline["history"] = baseline["history"][-2000:]
        out["baseline"] = baseline
        return out

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        if "baseline" in state:
            self.baseline.load_state_dict(state["baseline"])

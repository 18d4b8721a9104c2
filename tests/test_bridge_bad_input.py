"""`PhysicsReward` on bad tensors: a batch that breaks the shape contract is a ValueError naming
the field; a row outside the validity rule is invalid with a reason; nothing is read from a
mis-laid buffer, and empty batches work."""

import numpy as np
import pytest
import torch

from bridge.registry import MotionBatch, RewardRegistry
from bridge.reward import ROW_REASONS, PhysicsReward
from physics_jax.synthetic import synthetic_clip

T = 20


@pytest.fixture(scope="module")
def reward():
    return PhysicsReward("v2")


def _batch(b=4):
    """b walking clips of T frames; b = 3 or 4 shares one compiled (4, 32) bucket."""
    clips = [synthetic_clip("walk", T, seed=i) for i in range(b)]
    go = torch.tensor(np.stack([c.global_orient for c in clips]), dtype=torch.float32)
    bp = torch.tensor(np.stack([c.body_pose for c in clips]), dtype=torch.float32)
    tr = torch.tensor(np.stack([c.transl for c in clips]), dtype=torch.float32)
    return go, bp, tr, torch.full((b,), T), torch.full((b,), 30.0)


@pytest.mark.parametrize("field, bad, match", [
    ("body_pose", lambda x: torch.zeros(3, T, 72), r"body_pose: shape \(3, 20, 72\)"),
    ("body_pose", lambda x: x[:, :, :66], r"body_pose: shape \(4, 20, 66\)"),
    ("transl", lambda x: x[..., :2], r"transl: shape \(4, 20, 2\)"),
    ("global_orient", lambda x: x[:2], r"global_orient: shape \(2, 20, 3\)"),
    ("transl", lambda x: x.to(torch.complex64), "transl: dtype torch.complex64"),
    ("transl", lambda x: x.to("meta"), "transl: a meta tensor"),
    ("global_orient", lambda x: x.numpy(), "global_orient: expected a torch tensor"),
    ("lengths", lambda x: torch.tensor([T, T]), "lengths: .* expected \\(4,\\)"),
    ("fps", lambda x: torch.ones(2), "fps: .* expected a number or \\(4,\\)"),
])
def test_contract_violations_name_the_field(reward, field, bad, match):
    go, bp, tr, lengths, fps = _batch()
    args = dict(global_orient=go, body_pose=bp, transl=tr, lengths=lengths, fps=fps)
    args[field] = bad(args[field])
    with pytest.raises(ValueError, match=match):
        reward(**args)


def test_rows_outside_the_rule_are_invalid_with_reasons(reward):
    go, bp, tr, lengths, fps = _batch()
    tr[0, T - 1] = float("nan")  # past row 0's first 19 frames: never looked at
    lengths[0] = T - 1
    fps[1] = 1e9
    tr[2, 5, 0] = 1e30  # one frame far away
    bp[3, 7, 0] = float("nan")
    out = reward(go, bp, tr, lengths, fps)
    assert out["valid"].tolist() == [True, False, False, False]
    assert reward.reasons(out) == ["", ROW_REASONS[2], ROW_REASONS[4], ROW_REASONS[3]]
    assert torch.isfinite(out["reward"]).all() and (out["reward"][1:] == 0).all()
    go2, bp2, tr2, lengths2, fps2 = _batch()
    tr2[1] = 1e30  # every frame far away
    lengths2[2] = 2
    bp2[3, 3, 5] = 1e4  # a joint spun 1e4 rad
    go2[0], bp2[0], tr2[0], lengths2[0] = go[0], bp[0], tr[0], lengths[0]
    again = reward(go2, bp2, tr2, lengths2, fps2)
    assert again["valid"].tolist() == [True, False, False, False]
    assert reward.reasons(again)[1:] == [ROW_REASONS[4], ROW_REASONS[1], ROW_REASONS[5]]
    assert float(again["reward"][0]) == float(out["reward"][0])  # rows never mix


def test_the_23_joint_layout_scores_as_the_flat_one(reward):
    go, bp, tr, lengths, fps = _batch(3)
    flat = reward(go, bp, tr, lengths, fps)["reward"]
    joints = reward(go, bp.reshape(3, T, 23, 3), tr, lengths, 30.0)["reward"]
    torch.testing.assert_close(flat, joints)


def test_empty_batches(reward):
    go, bp, tr, lengths, fps = _batch()
    none = reward(go[:0], bp[:0], tr[:0], lengths[:0], fps[:0])
    assert none["reward"].shape == (0,) and none["valid"].shape == (0,)
    no_frames = reward(go[:, :0], bp[:, :0], tr[:, :0], torch.zeros(4), fps)
    assert no_frames["valid"].tolist() == [False] * 4
    assert reward.reasons(no_frames) == [ROW_REASONS[1]] * 4
    assert (no_frames["reward"] == 0).all()


def test_registry_carries_the_physics_reasons():
    go, bp, tr, lengths, fps = _batch()
    fps[1] = 0.0
    out = RewardRegistry({"phymotion_score": 1.0})(MotionBatch(go, bp, tr, lengths, fps))
    assert out["valid"].tolist() == [True, False, True, True]
    assert out.reasons == ["", f"phymotion_score: {ROW_REASONS[2]}", "", ""]

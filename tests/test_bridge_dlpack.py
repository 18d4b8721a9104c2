"""DLPack really shares memory both ways (CPU); the torch reward path matches the JAX API."""

import numpy as np
import torch

from bridge.dlpack import jax_to_torch, shares_memory, torch_to_jax
from bridge.reward import PhysicsReward
from physics_jax.api import score_clips
from physics_jax.synthetic import synthetic_clip


def test_dlpack_shares_memory_both_ways():
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    x = torch_to_jax(t)
    assert shares_memory(t, x)
    back = jax_to_torch(x)
    assert back.data_ptr() == t.data_ptr()
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_torch_reward_matches_api_and_flags_bad_clips():
    clips = [synthetic_clip("walk", 40, seed=1), synthetic_clip("stand", 40)]
    go = torch.tensor(np.stack([c.global_orient for c in clips]), dtype=torch.float32)
    bp = torch.tensor(np.stack([c.body_pose for c in clips]), dtype=torch.float32)
    tr = torch.tensor(np.stack([c.transl for c in clips]), dtype=torch.float32)
    tr_bad = tr.clone()
    tr_bad[1, 3, 0] = float("inf")
    reward = PhysicsReward("v2")
    out = reward.submit(go, bp, tr_bad, torch.tensor([40, 40]), 30.0).result()
    assert out["valid"].tolist() == [True, False]
    assert torch.isfinite(out["reward"]).all() and out["reward"][1] == 0.0
    expected = score_clips(clips[:1], preset="v2")[0]["reward"]
    assert abs(float(out["reward"][0]) - expected) < 1e-5
    assert out["reward"].device.type == "cpu" and reward.compile_count == 1

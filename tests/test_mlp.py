import json

import numpy as np
import pytest
import torch

from gancore.models.mlp import MLPConfig, MLPDiscriminator, MLPGenerator


def test_shapes_and_interface():
    cfg = MLPConfig(
        data_dim=2, latent_dim=3, g_hidden_layers=2, g_width=16, d_hidden_layers=1, d_width=8
    )
    G, D = MLPGenerator(cfg), MLPDiscriminator(cfg)
    assert G.latent_dim == 3 and G.num_classes == 0 and D.num_classes == 0
    z = G.sample_latent(7, generator=torch.Generator().manual_seed(0))
    assert z.shape == (7, 3)
    x = G(z)
    assert x.shape == (7, 2)
    assert D(x).shape == (7,)
    # hidden layers and widths are as configured: 3->16->16->2 ; 2->8->1
    g_lin = [m for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in g_lin] == [(3, 16), (16, 16), (16, 2)]
    d_lin = [m for m in D.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in d_lin] == [(2, 8), (8, 1)]


def test_zero_hidden_layers_is_linear():
    cfg = MLPConfig(data_dim=1, latent_dim=1, g_hidden_layers=0, d_hidden_layers=0)
    G = MLPGenerator(cfg)
    z = torch.linspace(-1, 1, 5)[:, None]
    out = G(z)[:, 0]
    lin = G.net[0]
    torch.testing.assert_close(out, lin.weight[0, 0] * z[:, 0] + lin.bias[0])


def test_latent_noise_kinds_and_determinism():
    normal = MLPGenerator(MLPConfig(latent_dim=4, noise="normal"))
    uniform = MLPGenerator(MLPConfig(latent_dim=4, noise="uniform"))
    a = normal.sample_latent(20_000, generator=torch.Generator().manual_seed(1))
    b = normal.sample_latent(20_000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert abs(a.mean().item()) < 0.02 and abs(a.std().item() - 1) < 0.02
    u = uniform.sample_latent(20_000, generator=torch.Generator().manual_seed(1))
    assert u.min().item() >= -1 and u.max().item() <= 1
    assert abs(u.std().item() - (1 / 3) ** 0.5) < 0.01


def test_spectral_norm_bounds_each_layer():
    cfg = MLPConfig(d_hidden_layers=2, d_width=32, spectral_norm=True)
    D = MLPDiscriminator(cfg)
    for _ in range(30):  # power iteration converges during training-mode forwards
        D(torch.randn(4, 2))
    with torch.no_grad():
        for m in D.modules():
            if isinstance(m, torch.nn.Linear):
                assert torch.linalg.matrix_norm(m.weight, ord=2).item() == pytest.approx(
                    1.0, rel=0.05
                )


def test_unconditional_models_reject_labels():
    cfg = MLPConfig()
    with pytest.raises(ValueError, match="unconditional"):
        MLPGenerator(cfg)(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="unconditional"):
        MLPDiscriminator(cfg)(torch.zeros(2, 2), torch.zeros(2, dtype=torch.long))


def test_config_json_roundtrip():
    cfg = MLPConfig(
        data_dim=1, latent_dim=5, activation="tanh", noise="uniform", spectral_norm=True
    )
    again = MLPConfig.from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg


@pytest.mark.parametrize(
    "field, value",
    [
        ("data_dim", 3),
        ("latent_dim", 0),
        ("latent_dim", 17),
        ("g_hidden_layers", 7),
        ("d_hidden_layers", -1),
        ("g_width", 1),
        ("d_width", 513),
        ("activation", "gelu"),
        ("noise", "cauchy"),
        ("spectral_norm", "yes"),
        ("g_width", 64.0),
        ("latent_dim", True),
    ],
)
def test_config_validation_names_the_value(field, value):
    with pytest.raises(ValueError, match=field) as err:
        MLPConfig(**{field: value})
    assert repr(value) in str(err.value)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="g_widht"):
        MLPConfig.from_dict({"g_widht": 3})


def test_tanh_activation_is_tanh():
    from gancore.models.mlp import SigmoidTanh

    x = torch.linspace(-30, 30, 10_001)
    torch.testing.assert_close(SigmoidTanh()(x), torch.tanh(x), atol=3e-7, rtol=0)
    x = x.double().requires_grad_()
    (g,) = torch.autograd.grad(SigmoidTanh()(x).sum(), x)
    torch.testing.assert_close(g, 1 - torch.tanh(x.detach()) ** 2, atol=1e-12, rtol=0)


def test_generator_mesh_is_the_latent_grid_pushed_through_g():
    from gancore.explore.probes import generator_mesh

    torch.manual_seed(0)
    G = MLPGenerator(MLPConfig(latent_dim=3, g_hidden_layers=1, g_width=8))
    lines = generator_mesh(G, lines=5, points=7)
    assert len(lines) == 10 and all(line.shape == (7, 2) for line in lines)
    # line 6: the second family (z_1 varies), z_0 at the second tick -1, z_2 held at 0
    along = torch.linspace(-2, 2, 7)
    z = torch.stack([torch.full((7,), -1.0), along, torch.zeros(7)], dim=1)
    with torch.no_grad():
        expected = G.eval()(z).numpy()
    assert np.allclose(lines[6], expected, atol=1e-6)
    flat = generator_mesh(MLPGenerator(MLPConfig(latent_dim=1, g_width=8)), points=9)
    assert len(flat) == 1 and flat[0].shape == (9, 2)  # a 1D latent draws one line

"""Generated files are named from their prompt."""

import pytest
from studio_assets.names import MAX_STEM, download_name, output_name


@pytest.mark.parametrize(
    ("prompt", "index", "name"),
    [
        ("A lighthouse at dusk", 0, "a-lighthouse-at-dusk-1.png"),
        ("A lighthouse at dusk", 3, "a-lighthouse-at-dusk-4.png"),
        ("  neon/rain: <city> at_night!! ", 0, "neon-rain-city-at-night-1.png"),
        ("café — crème brûlée", 0, "café-crème-brûlée-1.png"),
        ("夕暮れの灯台", 1, "夕暮れの灯台-2.png"),
        ("", 0, "gen123-1.png"),
        ("?!…", 0, "gen123-1.png"),
        (None, 0, "gen123-1.png"),
    ],
)
def test_an_output_is_named_from_its_prompt(prompt: str | None, index: int, name: str) -> None:
    assert output_name(prompt, "gen123", index, "png") == name


@pytest.mark.parametrize(
    ("prompt", "made_from", "name"),
    [
        ("", "Cat on a sofa birefnet", "cat-on-a-sofa-birefnet-1.png"),
        ("?!", "IMG_0042 bria background remove", "img-0042-bria-background-remove-1.png"),
        ("a red fox", "cat birefnet", "a-red-fox-1.png"),
        ("", "", "gen123-1.png"),
        ("", "…", "gen123-1.png"),
    ],
)
def test_an_output_without_a_prompt_is_named_after_what_it_was_made_from(
    prompt: str, made_from: str, name: str
) -> None:
    assert output_name(prompt, "gen123", 0, "png", made_from=made_from) == name


def test_a_long_prompt_is_cut_at_a_word() -> None:
    prompt = "a very long prompt about " + "lighthouses and harbours " * 10
    name = output_name(prompt, "gen123", 0, "webp")
    stem = name.removesuffix("-1.webp")
    assert len(stem) <= MAX_STEM
    assert prompt.replace(" ", "-").startswith(stem + "-")
    one_word = output_name("x" * 200, "gen123", 0, "png")
    assert one_word == "x" * MAX_STEM + "-1.png"


@pytest.mark.parametrize(
    ("name", "content_type", "downloaded"),
    [
        ("My hero shot", "image/webp", "My hero shot.webp"),
        ("fox.png", "image/png", "fox.png"),
        ("FOX.PNG", "image/png", "FOX.PNG"),
        ("holiday.jpeg", "image/jpeg", "holiday.jpeg"),
        ("photo.jpg.exe", "image/png", "photo.jpg.exe.png"),
        ("v1.2 final", "video/mp4", "v1.2 final.mp4"),
        (".png", "image/png", ".png.png"),
        ("scene.glb", "model/gltf-binary", "scene.glb"),
        ("notes", "application/x-unknown", "notes"),
    ],
)
def test_a_download_is_named_with_its_types_extension(
    name: str, content_type: str, downloaded: str
) -> None:
    assert download_name(name, content_type) == downloaded

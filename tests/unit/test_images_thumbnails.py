"""Checking uploads and making thumbnails, on images made here with Pillow."""

import io

import pytest
from PIL import Image

from ecommerce.catalog.images.product_image import MAX_PIXELS, MAX_UPLOAD_BYTES, ImageFacts
from ecommerce.catalog.images.thumbnails import RejectedImage, inspect_image, make_thumbnails


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), "white" if mode != "RGBA" else (0, 0, 0, 0))
    image.paste("red" if mode != "RGBA" else (255, 0, 0, 255), (0, 0, width // 2, height // 2))
    return image


@pytest.mark.parametrize("format", ["PNG", "JPEG", "WEBP"])
def test_an_allowed_image_is_accepted_with_its_format_and_size(format: str) -> None:
    assert inspect_image(encoded(picture(300, 200), format)) == ImageFacts(format, 300, 200)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"just some text, not an image\n", "not a readable image"),
        (encoded(picture(20, 20), "GIF"), "a GIF image"),
        (encoded(picture(20, 20), "BMP"), "a BMP image"),
        (encoded(picture(20, 20), "PNG")[:60], "not a readable image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a readable image"),
    ],
    ids=["empty", "text", "gif", "bmp", "truncated-png", "png-magic-only"],
)
def test_anything_else_is_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(RejectedImage, match=reason):
        make_thumbnails(data)


def test_a_truncated_jpeg_that_passes_verify_is_still_rejected() -> None:
    whole = encoded(Image.effect_noise((400, 400), 64).convert("RGB"), "JPEG")
    with pytest.raises(RejectedImage):
        make_thumbnails(whole[: len(whole) // 2])


def test_an_upload_over_the_byte_limit_is_rejected_before_decoding() -> None:
    with pytest.raises(RejectedImage, match="more than"):
        inspect_image(b"\x89PNG" + b"\x00" * MAX_UPLOAD_BYTES)


def test_an_image_with_too_many_pixels_is_rejected_from_its_header() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    huge = encoded(Image.new("1", (side, side)), "PNG")  # 1 bit per pixel: small to make
    assert len(huge) < MAX_UPLOAD_BYTES
    with pytest.raises(RejectedImage, match="pixels"):
        inspect_image(huge)


def test_thumbnails_fit_each_size_and_keep_the_aspect_ratio() -> None:
    made = make_thumbnails(encoded(picture(1000, 500), "PNG"), (512, 128))
    assert made.facts == ImageFacts("PNG", 1000, 500)
    assert sorted(made.by_size) == [128, 512]
    sizes = {}
    for side, data in made.by_size.items():
        with Image.open(io.BytesIO(data)) as thumbnail:
            assert thumbnail.format == "WEBP"
            sizes[side] = thumbnail.size
    assert sizes == {128: (128, 64), 512: (512, 256)}


def test_a_small_image_is_not_enlarged() -> None:
    made = make_thumbnails(encoded(picture(100, 40), "JPEG"), (128, 512))
    for data in made.by_size.values():
        with Image.open(io.BytesIO(data)) as thumbnail:
            assert thumbnail.size == (100, 40)


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_still_exact() -> None:
    made = make_thumbnails(encoded(picture(4000, 3000), "JPEG"), (128,))
    with Image.open(io.BytesIO(made.by_size[128])) as thumbnail:
        assert thumbnail.size == (128, 96)


def test_transparency_survives() -> None:
    made = make_thumbnails(encoded(picture(200, 200, "RGBA"), "PNG"), (128,))
    with Image.open(io.BytesIO(made.by_size[128])) as thumbnail:
        assert thumbnail.mode == "RGBA"
        assert thumbnail.getpixel((100, 100))[3] == 0  # type: ignore[index]
        assert thumbnail.getpixel((10, 10))[3] == 255  # type: ignore[index]


def test_the_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encoded(picture(400, 200), "JPEG", exif=exif.tobytes())
    made = make_thumbnails(data, (128,))
    with Image.open(io.BytesIO(made.by_size[128])) as thumbnail:
        assert thumbnail.size == (64, 128)

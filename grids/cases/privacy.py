"""Masking of personal data (names and phones) wherever it leaves the service."""


def mask_name(name: str | None) -> str | None:
    """The surname and a star per further character: 王小明 → 王**."""
    if not name:
        return name
    return name[0] + "*" * min(len(name) - 1, 2)


def mask_phone(phone: str | None) -> str | None:
    """The first three and last four digits of a phone: 19912345678 → 199****5678."""
    if not phone:
        return phone
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]

"""The ASEAN person-ID credential (PID) type: common core plus national extensions.

SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Section 6) for ``idcore.trust.vct.VCT_PID``:
claim labels in English and the member states' languages; ``sd: always`` for personal data,
``sd: never`` only for ``issuing_country`` (a verifier needs it to pick trust anchors). The
national extensions live under ``national_extensions`` so the common core stays identical in
every country.
"""

from __future__ import annotations

from idcore.oid4vci.metadata import ClaimDefinition, CredentialType
from idcore.trust.vct import VCT_PID

__all__ = ["LOCALES", "PID_TYPE", "labels"]

#: Locales of the claim labels: English first, then the member states' languages we ship labels for.
LOCALES = ("en", "ms", "id", "th", "vi", "zh", "fil", "pt")

# One row per claim: labels in LOCALES order.
_LABELS: dict[str, tuple[str, ...]] = {
    "given_name": ("Given name", "Nama diberi", "Nama depan", "ชื่อ", "Tên", "名", "Pangalan", "Nome próprio"),
    "family_name": ("Family name", "Nama keluarga", "Nama keluarga", "นามสกุล", "Họ", "姓", "Apelyido", "Apelido"),
    "birthdate": ("Date of birth", "Tarikh lahir", "Tanggal lahir", "วันเกิด", "Ngày sinh", "出生日期",
                  "Petsa ng kapanganakan", "Data de nascimento"),
    "nationality": ("Nationality", "Kewarganegaraan", "Kewarganegaraan", "สัญชาติ", "Quốc tịch", "国籍",
                    "Nasyonalidad", "Nacionalidade"),
    "age_over_18": ("Aged 18 or over", "Berumur 18 tahun ke atas", "Berusia 18 tahun ke atas",
                    "อายุ 18 ปีขึ้นไป", "Từ 18 tuổi trở lên", "年满18岁", "Edad 18 pataas", "Maior de 18 anos"),
    "age_over_21": ("Aged 21 or over", "Berumur 21 tahun ke atas", "Berusia 21 tahun ke atas",
                    "อายุ 21 ปีขึ้นไป", "Từ 21 tuổi trở lên", "年满21岁", "Edad 21 pataas", "Maior de 21 anos"),
    "sex": ("Sex", "Jantina", "Jenis kelamin", "เพศ", "Giới tính", "性别", "Kasarian", "Sexo"),
    "address": ("Address", "Alamat", "Alamat", "ที่อยู่", "Địa chỉ", "地址", "Tirahan", "Morada"),
    "address.street_address": ("Street", "Jalan", "Jalan", "ถนน", "Đường", "街道", "Kalye", "Rua"),
    "address.locality": ("City", "Bandar", "Kota", "เมือง", "Thành phố", "城市", "Lungsod", "Localidade"),
    "address.postal_code": ("Postal code", "Poskod", "Kode pos", "รหัสไปรษณีย์", "Mã bưu chính", "邮政编码",
                            "Postal code", "Código postal"),
    "address.country": ("Country", "Negara", "Negara", "ประเทศ", "Quốc gia", "国家", "Bansa", "País"),
    "document_number": ("Document number", "Nombor dokumen", "Nomor dokumen", "เลขที่เอกสาร", "Số giấy tờ",
                        "证件号码", "Numero ng dokumento", "Número do documento"),
    "issuing_country": ("Issuing country", "Negara pengeluar", "Negara penerbit", "ประเทศที่ออก", "Quốc gia cấp",
                        "签发国", "Bansang nag-isyu", "País emissor"),
    "issuing_authority": ("Issuing authority", "Pihak berkuasa pengeluar", "Instansi penerbit", "หน่วยงานที่ออก",
                          "Cơ quan cấp", "签发机关", "Awtoridad na nag-isyu", "Autoridade emissora"),
    "portrait": ("Portrait", "Potret", "Foto", "รูปถ่าย", "Ảnh chân dung", "肖像", "Larawan", "Retrato"),
    "national_extensions.residential_status": (
        "Residential status (SG)", "Status kediaman (SG)", "Status tempat tinggal (SG)", "สถานะการพำนัก (SG)",
        "Tình trạng cư trú (SG)", "居民身份 (SG)", "Katayuan ng paninirahan (SG)", "Estatuto de residência (SG)"),
    "national_extensions.birth_state": (
        "State of birth (MY)", "Negeri kelahiran (MY)", "Negara bagian kelahiran (MY)", "รัฐที่เกิด (MY)",
        "Bang nơi sinh (MY)", "出生州 (MY)", "Estado ng kapanganakan (MY)", "Estado de nascimento (MY)"),
    "national_extensions.local_name": (
        "Name in local script", "Nama dalam tulisan tempatan", "Nama dalam aksara lokal", "ชื่อภาษาท้องถิ่น",
        "Tên bằng chữ địa phương", "本地文字姓名", "Pangalan sa lokal na sulat", "Nome na escrita local"),
    "national_extensions.hometown": (
        "Place of origin (VN)", "Tempat asal (VN)", "Tempat asal (VN)", "ภูมิลำเนา (VN)", "Quê quán (VN)",
        "籍贯 (VN)", "Pinagmulan (VN)", "Naturalidade (VN)"),
}  # fmt: skip

_MANDATORY = frozenset(
    {"given_name", "family_name", "birthdate", "nationality", "age_over_18", "age_over_21",
     "document_number", "issuing_country", "issuing_authority"}
)  # fmt: skip
_NEVER_SD = frozenset({"issuing_country"})


def labels(key: str, table: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """The labels of claim ``key`` by locale."""
    row = (table or _LABELS)[key]
    return dict(zip(LOCALES, row, strict=True))


def _claim(key: str) -> ClaimDefinition:
    path = tuple(key.split("."))
    return ClaimDefinition(
        path, labels(key), sd="never" if key in _NEVER_SD else "always", mandatory=key in _MANDATORY
    )


PID_TYPE = CredentialType(
    vct=VCT_PID,
    names={
        "en": "ASEAN Person Identification", "ms": "Pengenalan Diri ASEAN", "id": "Identitas Diri ASEAN",
        "th": "บัตรประจำตัวบุคคลอาเซียน", "vi": "Định danh cá nhân ASEAN", "zh": "东盟个人身份证明",
        "fil": "Pagkakakilanlan ng Tao ng ASEAN", "pt": "Identificação Pessoal ASEAN",
    },
    descriptions={"en": "Identity of a citizen of an ASEAN member state, issued by the national authority."},
    claims=tuple(_claim(key) for key in _LABELS),
    background_color="#12355b",
)

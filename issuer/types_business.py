"""The business registration credential type (a legal person's registry extract).

SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc Section 6) for
``idcore.trust.vct.VCT_BUSINESS_REGISTRATION``. ``country`` is never selectively disclosable
(verifiers need it for trust decisions); every other claim is. The company's status is
``registration_status``: ``status`` is the registered claim of the Token Status List.
"""

from __future__ import annotations

from idcore.oid4vci.metadata import ClaimDefinition, CredentialType
from idcore.trust.vct import VCT_BUSINESS_REGISTRATION
from issuer.types_pid import labels

__all__ = ["BUSINESS_TYPE"]

_LABELS: dict[str, tuple[str, ...]] = {
    "legal_name": ("Legal name", "Nama sah", "Nama resmi", "ชื่อนิติบุคคล", "Tên pháp lý", "法定名称",
                   "Legal na pangalan", "Denominação legal"),
    "registration_number": ("Registration number", "Nombor pendaftaran", "Nomor registrasi", "เลขทะเบียน",
                            "Mã số đăng ký", "注册号", "Numero ng rehistro", "Número de registo"),
    "country": ("Country of registration", "Negara pendaftaran", "Negara pendaftaran", "ประเทศที่จดทะเบียน",
                "Quốc gia đăng ký", "注册国家", "Bansa ng rehistro", "País de registo"),
    "legal_form": ("Legal form", "Bentuk undang-undang", "Bentuk badan hukum", "ประเภทนิติบุคคล",
                   "Loại hình doanh nghiệp", "法律形式", "Uri ng negosyo", "Forma jurídica"),
    "registration_status": ("Registration status", "Status pendaftaran", "Status registrasi", "สถานะการจดทะเบียน",
                            "Tình trạng đăng ký", "注册状态", "Katayuan ng rehistro", "Estado do registo"),
    "registration_date": ("Registration date", "Tarikh pendaftaran", "Tanggal pendaftaran", "วันที่จดทะเบียน",
                          "Ngày đăng ký", "注册日期", "Petsa ng rehistro", "Data de registo"),
    "registered_address": ("Registered address", "Alamat berdaftar", "Alamat terdaftar", "ที่อยู่จดทะเบียน",
                           "Địa chỉ đăng ký", "注册地址", "Rehistradong tirahan", "Sede registada"),
    "registered_address.street_address": ("Street", "Jalan", "Jalan", "ถนน", "Đường", "街道", "Kalye", "Rua"),
    "registered_address.locality": ("City", "Bandar", "Kota", "เมือง", "Thành phố", "城市", "Lungsod",
                                    "Localidade"),
    "registered_address.postal_code": ("Postal code", "Poskod", "Kode pos", "รหัสไปรษณีย์", "Mã bưu chính",
                                       "邮政编码", "Postal code", "Código postal"),
    "registered_address.country": ("Country", "Negara", "Negara", "ประเทศ", "Quốc gia", "国家", "Bansa", "País"),
    "authorised_representatives": ("Authorised representatives", "Wakil yang diberi kuasa", "Perwakilan resmi",
                                   "ผู้มีอำนาจลงนาม", "Người đại diện theo pháp luật", "授权代表",
                                   "Mga awtorisadong kinatawan", "Representantes autorizados"),
}  # fmt: skip

_MANDATORY = frozenset(
    {"legal_name", "registration_number", "country", "legal_form", "registration_status", "registration_date"}
)
_NEVER_SD = frozenset({"country"})


def _claim(key: str) -> ClaimDefinition:
    return ClaimDefinition(
        tuple(key.split(".")), labels(key, _LABELS), sd="never" if key in _NEVER_SD else "always",
        mandatory=key in _MANDATORY,
    )  # fmt: skip


BUSINESS_TYPE = CredentialType(
    vct=VCT_BUSINESS_REGISTRATION,
    names={
        "en": "ASEAN Business Registration", "ms": "Pendaftaran Perniagaan ASEAN", "id": "Registrasi Usaha ASEAN",
        "th": "การจดทะเบียนธุรกิจอาเซียน", "vi": "Đăng ký kinh doanh ASEAN", "zh": "东盟企业注册",
        "fil": "Rehistro ng Negosyo ng ASEAN", "pt": "Registo Comercial ASEAN",
    },
    descriptions={"en": "Registration of a business in an ASEAN member state, issued by its business registry."},
    claims=tuple(_claim(key) for key in _LABELS),
    background_color="#1b5e20",
)

"""The prices the user set: `hardware_prices` (dollars an hour per kind of hardware) and `api_prices` (an API's
dollars per 1M input and output tokens per model). What they are for: evals/cost.py."""

from __future__ import annotations

from ...clock import now_iso
from ..prices import ApiPrice, HardwarePrice, normalise_hardware
from .base import Store


class PriceStore(Store):
    """Hardware and API prices, one row per hardware name / model (names match whatever their case)."""

    def set_price(self, hardware: str, usd_per_hour: float) -> HardwarePrice:
        """Set (or replace) the hourly price of `hardware` (normalised: evals/cost.normalise_hardware)."""
        price = HardwarePrice(normalise_hardware(hardware), float(usd_per_hour), now_iso())
        with self.write() as db:
            db.execute("insert into hardware_prices (hardware, usd_per_hour, updated_at) values (?, ?, ?)"
                       " on conflict(hardware) do update set hardware = excluded.hardware,"
                       " usd_per_hour = excluded.usd_per_hour, updated_at = excluded.updated_at",
                       [price.hardware, price.usd_per_hour, price.updated_at])
        return price

    def remove_price(self, hardware: str) -> bool:
        with self.write() as db:
            return db.execute("delete from hardware_prices where hardware = ?",
                              [normalise_hardware(hardware)]).rowcount > 0

    def price(self, hardware: str | None) -> HardwarePrice | None:
        """The price of `hardware`, None when none is set (or the hardware is unknown)."""
        if not hardware:
            return None
        rows = self.database.query("select * from hardware_prices where hardware = ?", [" ".join(hardware.split())])
        return HardwarePrice(**rows[0]) if rows else None

    def prices(self) -> list[HardwarePrice]:
        return [HardwarePrice(**r) for r in self.database.query("select * from hardware_prices order by hardware")]

    def set_api_price(self, model: str, usd_per_1m_input: float, usd_per_1m_output: float) -> ApiPrice:
        price = ApiPrice(model, float(usd_per_1m_input), float(usd_per_1m_output), now_iso())
        with self.write() as db:
            db.execute("insert into api_prices (model, usd_per_1m_input, usd_per_1m_output, updated_at)"
                       " values (?, ?, ?, ?) on conflict(model) do update set model = excluded.model,"
                       " usd_per_1m_input = excluded.usd_per_1m_input,"
                       " usd_per_1m_output = excluded.usd_per_1m_output, updated_at = excluded.updated_at",
                       [price.model, price.usd_per_1m_input, price.usd_per_1m_output, price.updated_at])
        return price

    def remove_api_price(self, model: str) -> bool:
        with self.write() as db:
            return db.execute("delete from api_prices where model = ?", [model]).rowcount > 0

    def api_price(self, model: str) -> ApiPrice | None:
        rows = self.database.query("select * from api_prices where model = ?", [model])
        return ApiPrice(**rows[0]) if rows else None

    def api_prices(self) -> list[ApiPrice]:
        return [ApiPrice(**r) for r in self.database.query("select * from api_prices order by model")]

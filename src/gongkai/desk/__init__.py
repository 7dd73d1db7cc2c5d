"""The agency desk: statutory deadlines in Chinese working days, fees, and (later) the ledger."""

"""Pieces every customer-facing document shares: the embedded CJK font, amounts as people write them
(separators, 人民币大写) and the creditor block. Invoicing's 账单 and 对账单 use them; dunning's letters can."""

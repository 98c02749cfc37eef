"""Wayfinder: ask plain questions of your customer data; learn what happened and why."""

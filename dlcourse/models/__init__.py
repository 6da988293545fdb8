"""Chapters 07 to 10: whole models that chapters train and compare, built from :mod:`dlcourse.nn`.

Import the module you need (``from dlcourse.models.recurrent import LSTMClassifier``); loading this package
imports nothing.
"""

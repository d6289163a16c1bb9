"""Questionnaire surveys: questionnaires as data, responses into the archive, statistics over them."""

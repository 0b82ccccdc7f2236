"""Data-flow and sequence diagrams carry every node, edge, boundary and step."""

from __future__ import annotations

from pathlib import Path

from capsa.model.loader import load_model
from capsa.report.diagrams import mermaid_id, render_dot, render_mermaid
from capsa.report.sequence import render_sequence

SMALL = str(Path(__file__).parents[1] / "model" / "fixtures" / "small.yaml")


def test_mermaid_nests_boundaries_and_draws_every_edge() -> None:
    text = render_mermaid(load_model(SMALL))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "flowchart TB"
    assert 'subgraph n_dc["Data centre"]' in lines
    # the node boundary is drawn inside the VPC boundary
    assert lines.index('subgraph n_box["A server"]') > lines.index('subgraph n_dc["Data centre"]')
    assert 'n_db[("Database")]' in lines  # data stores are cylinders
    assert 'n_user(["User"])' in lines  # actors are stadiums
    assert 'n_web("Web #quot;front#quot; end")' in lines  # quotes escaped
    assert 'n_user -->|"https"| n_web' in lines
    assert 'n_web -->|"tcp-passthrough"| n_db' in lines
    assert sum(line.startswith("subgraph") for line in lines) == lines.count("end")


def test_mermaid_ids_are_safe() -> None:
    assert mermaid_id("cloud-init") == "n_cloud_init"


def test_dot_uses_newrank_and_clusters() -> None:
    text = render_dot(load_model(SMALL))
    assert "newrank=true;" in text
    assert 'subgraph "cluster_box" {' in text
    assert '"web" -> "db" [label="tcp-passthrough"];' in text
    assert '"web" [label="Web \\"front\\" end", shape=ellipse];' in text


def test_sequence_numbers_steps_and_expands_included_flows() -> None:
    model = load_model(SMALL)
    text = render_sequence(model, "read")
    assert "actor n_user as User" in text
    assert "n_user->>n_web: 1. the user asks for a record [https]" in text
    assert "Note over n_web: 3. the web tier renders it" in text
    twice = render_sequence(model, "twice")
    assert "n_web->>n_db: 1.2. the web tier reads it [tcp-passthrough]" in twice
    assert "n_web->>n_db: 2.2. the web tier reads it [tcp-passthrough]" in twice
    assert twice.count("rect ") == 2

"""Who holds what, read from the chain: every role of every contract of a deployment manifest.

    ape run roles                                          # local chain, .build/deployment-ethereum-local.json
    ape run roles --network ethereum:sepolia:node          # deployments/ethereum-sepolia.json
    ape run roles --manifest path/to/manifest.json --strict
    ape run roles --deploy-if-missing                      # `make roles`: a fresh local chain gets the
                                                           # governed local suite first

Holders come from the contracts' RoleGranted/RoleRevoked events (confirmed with hasRole) and the
owner()/pending_owner() views, never from the deploy config; the expectations from
ionet.chain.roles.ROLE_TABLE. With --strict the command exits 1 when the deployer or any EOA holds an
admin role, a role is held by nobody or by another account than the table names, a two-step
hand-off is still pending, or the deployer can still move any of the protocol's assets (a token
balance, a liquidity position NFT, an allowance, a vesting claim: ionet.chain.roles.deployer_holdings).
"""

from pathlib import Path

import click
from ape import chain, networks
from ape.cli import ConnectedProviderCommand
from rich.console import Console
from rich.table import Table

from ionet.chain.accounts import pick_account
from ionet.chain.roles import audit, has_code, load_manifest
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import manifest_path, write_manifest


def _deployed_here(path: Path) -> bool:
    if not path.exists():
        return False
    manifest = load_manifest(path)
    return manifest.chain_id == chain.chain_id and all(
        has_code(chain.provider.web3, r.address) for r in manifest.contracts.values()
    )


def render(report, console: Console) -> None:
    table = Table(title="Who holds what (read from the chain)", title_justify="left")
    for col in ("contract", "role", "holder", "kind", "expected", "verdict"):
        table.add_column(col)
    for r in report.rows:
        verdict = "[green]ok[/green]" if r.ok else "[red]" + "; ".join(r.problems) + "[/red]"
        table.add_row(r.contract, r.role, r.holder or "-", r.kind, r.expected, verdict)
    console.print(table)
    for note in report.notes:
        console.print(f"  {note}")


@click.command(cls=ConnectedProviderCommand)
@click.option("--manifest", "manifest_file", default=None, help="deployment manifest (default: the network's)")
@click.option("--strict", is_flag=True, help="exit 1 on any problem (CI, release checks)")
@click.option("--deploy-if-missing", is_flag=True, help="local chain without the deployment: deploy it governed first")
def cli(manifest_file, strict, deploy_if_missing):
    net = networks.provider.network
    path = Path(manifest_file) if manifest_file else manifest_path(net.ecosystem.name, net.name)
    if deploy_if_missing and net.name == "local" and not _deployed_here(path):
        click.echo("no deployment on this chain: deploying the governed local suite first")
        config = load_config("local")
        suite = deploy_suite(pick_account(None, True), config, governance=config["governance"])
        write_manifest(suite.manifest, path)
    if not path.exists():
        raise click.ClickException(f"no manifest at {path}: deploy first or pass --manifest")
    manifest = load_manifest(path)
    if manifest.chain_id != chain.chain_id:
        raise click.ClickException(f"{path} is for chain {manifest.chain_id}, connected to {chain.chain_id}")
    console = Console(width=200)
    report = audit(chain.provider.web3, manifest)
    render(report, console)
    if report.ok:
        console.print(f"[green]roles: {len(report.rows)} holdings, no problem[/green]")
        return
    console.print(f"[red]roles: {len(report.problems)} problems[/red]")
    for problem in report.problems:
        console.print(f"  - {problem}")
    if strict:
        raise SystemExit(1)

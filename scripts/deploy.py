"""Deploy the IO network suite and write its manifest.

    ape run deploy                                     # local Anvil (started if none is listening)
    ape run deploy --network ethereum:sepolia:node --account deployer --config config/deploy.sepolia.json
    ape run deploy --usdc 0x…                          # the settlement router's USDC (else settlement.usdc)
"""

import click
from ape import networks
from ape.cli import ConnectedProviderCommand

from ionet.chain.accounts import pick_account
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import manifest_path, write_manifest


@click.command(cls=ConnectedProviderCommand)
@click.option("--account", "account_alias", default=None, help="ape account alias (default: test account 0 locally)")
@click.option("--config", "config_file", default=None, help="deployment config (default: config/deploy.<network>.json)")
@click.option("--usdc", default=None, help="the network's USDC (overrides settlement.usdc of the config)")
def cli(account_alias, config_file, usdc):
    net = networks.provider.network
    is_local = net.name == "local"
    deployer = pick_account(account_alias, is_local)
    config = load_config(net.name, config_file)
    if usdc:
        config.setdefault("settlement", {})["usdc"] = usdc
    chain_id = networks.provider.chain_id
    click.echo(f"deploying to {net.ecosystem.name}:{net.name} (chain {chain_id}) from {deployer.address}")
    suite = deploy_suite(deployer, config, network=net.name, ecosystem=net.ecosystem.name, log=click.echo)
    path = write_manifest(suite.manifest, manifest_path(net.ecosystem.name, net.name))
    click.echo(f"manifest: {path}")

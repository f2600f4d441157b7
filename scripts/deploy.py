"""Deploy the IO network suite and write its manifest.

    ape run deploy                                     # local Anvil (started if none is listening)
    ape run deploy --governance                        # ... and hand every role to the Safes and the timelock
    ape run deploy --network ethereum:sepolia:node --account deployer --config config/deploy.sepolia.json --governance
    ape run deploy ... --yes                           # unattended: APE_ACCOUNTS_deployer_PASSPHRASE unlocks the key
    ape run deploy --usdc 0x…                          # the settlement router's USDC (else settlement.usdc)

On a live network the deploy first rehearses itself on a fork of the network and shows one plan
(network, chain id, deployer, transactions, gas and cost at the current gas price), asks once (not
with --yes), unlocks the deployer's key once and signs the rest unattended. The manifest is written
after every transaction: a deploy that stopped halfway resumes when the same command runs again
(live networks; `--resume` on a local chain), sending only what is missing, and a finished one says
"nothing to do" without asking for the key; `--fresh` starts over (the old manifest is moved to
<ape data folder>/ionet-deploy-backups/, out of the committed deployments/).
"""

import os
from pathlib import Path

import click
from ape import chain, networks
from ape.cli import ConnectedProviderCommand

from ionet.chain.accounts import pick_account
from ionet.chain.journal import DeployStopped, ResumeError
from ionet.chain.live import (
    Plan,
    backup_manifest,
    fmt_eth,
    gas_price,
    has_nothing_to_send,
    plan_lines,
    rehearse,
    unlock,
)
from ionet.chain.suite import deploy_suite
from ionet.config import load_config
from ionet.manifest import Manifest, manifest_path, write_manifest

STOP_AFTER_ENV = "IONET_DEPLOY_STOP_AFTER"  # tests of resume: stop after this many transactions


@click.command(cls=ConnectedProviderCommand)
@click.option("--account", "account_alias", default=None, help="ape account alias (default: test account 0 locally)")
@click.option("--config", "config_file", default=None, help="deployment config (default: config/deploy.<network>.json)")
@click.option("--usdc", default=None, help="the network's USDC (overrides settlement.usdc of the config)")
@click.option("--governance", is_flag=True, help="hand every role to the Safes and the timelock (config 'governance')")
@click.option("--yes", is_flag=True, help="no confirmation: for release pipelines (live networks)")
@click.option("--manifest", "manifest_file", default=None, help="manifest path (default: the network's)")
@click.option("--fresh", is_flag=True, help="ignore an existing manifest and deploy a new suite")
@click.option("--resume", "resume_local", is_flag=True, help="resume from the manifest on a local chain too")
@click.option("--confirmations", type=int, default=None, help="confirmations to wait for (default: the network's)")
@click.option("--no-rehearsal", is_flag=True, help="skip the rehearsal on a fork (the plan then has no figures)")
def cli(account_alias, config_file, usdc, governance, yes, manifest_file, fresh, resume_local, confirmations,
        no_rehearsal):
    net = networks.provider.network
    is_local = net.name == "local"
    network = f"{net.ecosystem.name}:{net.name}"
    deployer = pick_account(account_alias, is_local)
    config = load_config(net.name, config_file)
    if usdc:
        config.setdefault("settlement", {})["usdc"] = usdc
    gov_section = None
    if governance:
        gov_section = config.get("governance")
        if not gov_section:
            raise click.ClickException("--governance needs a 'governance' section in the deploy config")
    path = Path(manifest_file) if manifest_file else manifest_path(net.ecosystem.name, net.name)
    resume = _resumable(path, deployer, is_local, fresh, resume_local)
    tx_kwargs = {} if confirmations is None else {"required_confirmations": confirmations}
    stop_after = int(os.environ[STOP_AFTER_ENV]) if os.environ.get(STOP_AFTER_ENV) else None
    nothing_to_do = False

    def run(account, resume_from, log=click.echo, save=None, stop=None, kwargs=None):
        return deploy_suite(account, config, network=net.name, ecosystem=net.ecosystem.name, log=log,
                            tx_kwargs=kwargs or {}, governance=gov_section, resume=resume_from, save=save,
                            stop_after=stop)

    if not is_local:
        if not governance:
            click.secho("WARNING: without --governance the deployer keeps every admin role and the liquidity positions",
                        fg="yellow", err=True)
        if no_rehearsal:
            plan = Plan(0, 0, "skipped (--no-rehearsal)")
        else:
            click.echo("rehearsing the deploy on a fork of the network ...")
            plan = rehearse(deployer.address, lambda acct, res: run(acct, res, log=lambda _m: None), resume)
        click.echo("\ndeploy plan\n-----------")
        for line in plan_lines(network, deployer, plan, governance, resume):
            click.echo(f"  {line}")
        click.echo("")
        if has_nothing_to_send(plan):
            # Nothing to sign: no question, no passphrase. A finished deploy stops here; an unfinished
            # one whose transactions are all mined is run to write its manifest, and should it meet
            # anything to send after all (the chain moved since the rehearsal) it stops before sending.
            click.echo("nothing to do: the rehearsal sends no transaction; the key is not unlocked")
            if resume is not None and resume.complete:
                click.echo(f"manifest: {path} (complete)")
                return
            stop_after, nothing_to_do = 0, True
        else:
            if not yes:
                click.confirm("Deploy?", abort=True)
            unlock(deployer)
    else:
        click.echo(f"deploying to {network} (chain {chain.chain_id}) from {deployer.address}")
    if fresh and path.exists():
        kept = backup_manifest(path)
        click.echo(f"previous manifest moved to {kept} (out of {path.parent}/)")
    try:
        suite = run(deployer, resume, save=lambda m: write_manifest(m, path), stop=stop_after, kwargs=tx_kwargs)
    except (DeployStopped, ResumeError) as err:
        if nothing_to_do and isinstance(err, DeployStopped):
            err = DeployStopped("the rehearsal planned nothing, but the chain now needs a transaction: none was sent")
        click.secho(f"deploy stopped: {err}", fg="red", err=True)
        if path.exists():
            click.echo(f"partial manifest: {path}; run the same command again to resume", err=True)
        raise SystemExit(3) from None
    except Exception as err:
        click.secho(f"deploy failed: {type(err).__name__}: {err}", fg="red", err=True)
        if path.exists():
            click.echo(f"partial manifest: {path}; fix the cause and run the same command again to resume", err=True)
        raise SystemExit(1) from err
    write_manifest(suite.manifest, path)
    sent, gas = suite.journal.sent, suite.journal.gas_used
    click.echo(f"sent {sent} transactions, {gas:,} gas" + ("" if is_local else f" (~{fmt_eth(gas * gas_price())})"))
    click.echo(f"manifest: {path}")


def _resumable(path: Path, deployer, is_local: bool, fresh: bool, resume_local: bool) -> Manifest | None:
    if fresh or not path.exists() or (is_local and not resume_local):
        return None
    manifest = Manifest.from_json(path.read_text())
    if manifest.chain_id != chain.chain_id:
        if is_local:
            return None
        raise click.ClickException(f"{path} is for chain {manifest.chain_id}, not {chain.chain_id}: "
                                   "pass --manifest or --fresh")
    if manifest.deployer != deployer.address:
        raise click.ClickException(f"{path} was deployed by {manifest.deployer}, not {deployer.address}: "
                                   "resume with that account, or pass --fresh to deploy a new suite")
    click.echo(f"resuming from {path} ({len(manifest.journal)} transactions already done"
               f"{'' if not manifest.complete else ', deploy complete'})")
    return manifest

# pragma version ~=0.4.3
"""
@title IO Settlement Router
@custom:contract-name SettlementRouter
@license GNU Affero General Public License v3.0 only
@notice Where renters pay for compute and providers are paid. A renter books an eligible device
        (node staking's `is_eligible`) for a number of hours at an hourly rate, in USDC or in IO,
        naming the most it accepts to pay. It prepays rate x hours plus the published fees: the
        reservation fee (25 bps, every booking) and, in USDC only, the facilitation fee (200 bps).
        The price is held in escrow; the fees go to the fee balance at once and are never refunded.
        The operator records worked hours at least every 24 h, for one or many bookings per call;
        each record moves rate x hours from escrow to the provider's balance. A booking ends:
          - when all its hours are recorded (completed);
          - early, by the renter (`end_booking`): the time elapsed so far, in started hours and at
            least the first hour, is the provider's; the rest is refunded to the renter;
          - early, by the operator (`operator_end_booking`): the recorded hours, at least the first
            hour, are the provider's; the rest is refunded (e.g. a device that stopped working);
          - by anyone, once GRACE_SECONDS have passed after its end with no final record
            (`settle_expired`): the reservation ran its full term and neither the renter nor the
            operator ended it, so the provider is credited every booked hour not yet recorded.
            A lease never stays open forever, and it never runs for free.
        Nobody is ever paid by a push transfer: providers, renters (refunds) and the treasury
        (fees) withdraw their balances, per currency, to an address they name. So a USDC-
        blacklisted provider or renter, or a USDC pause, blocks nobody else's booking, record,
        termination, refund or withdrawal: while USDC is paused every record and termination still
        works (pure accounting) and withdrawals succeed after the unpause.
        No approve transaction is needed: `book_with_permit` (EIP-2612, USDC or IO) and
        `book_with_authorization` (EIP-3009 `receiveWithAuthorization`, USDC).
@dev Fees are rounded UP to the next base unit (in the protocol's favour), each separately:
         cost              = rate * hours
         reservation_fee   = ceil(cost * 25 / 10_000)
         facilitation_fee  = ceil(cost * 200 / 10_000)  (USDC), 0 (IO)
         total             = cost + reservation_fee + facilitation_fee  <=  max_total
     Amounts are exact integers (whole hours times an integer rate in the token's base units), so
     the 6 decimals of USDC lose nothing: there is no per-second rate to truncate.
     Invariants (tests/unit/test_router_*.py and tests/fuzz/test_router_state_machine.py name them):
     1. conservation: for each currency, tokens held == total_escrow + total_credited + fees
        (tokens sent to the router outside a booking are the only possible surplus).
     2. provider_never_credited_more_than_booked: the hours credited for a booking never exceed
        its booked hours, so its provider receives at most rate * hours.
     3. renter_never_pays_more_than_max: a booking takes exactly `total`, and total <= max_total.
     4. o1_in_bookings: every operation reads and writes a fixed number of slots whatever the number
        of bookings (a batch is linear in its own length only).
     5. provider_fixed_at_booking: the provider is the device owner at booking time, stored in the
        booking; later ownership changes cannot redirect its payments.
     6. closed_booking_never_reopens: a closed booking's escrow is zero and every record, ending
        or settlement of it reverts.
     Storage is packed by hand (Vyper does not pack): a booking is two words,
         word A: provider (160) | hours (24) | hours_recorded (24) | start (40) | flags (8)
         word B: renter (160) | rate (96)
     and each currency's totals one word: escrow (low 128) | credited (high 128).
"""

from ethereum.ercs import IERC20

from interfaces import INodeStaking
from interfaces import IUSDC

from snekmate.auth import access_control
from snekmate.utils import pausable

initializes: access_control
initializes: pausable

exports: (
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    access_control.set_role_admin,
    pausable.paused,
)


# @dev Records work and may end bookings early on the recorded hours.
OPERATOR_ROLE: public(constant(bytes32)) = keccak256("OPERATOR_ROLE")
# @dev Withdraws the accrued fees.
TREASURY_ROLE: public(constant(bytes32)) = keccak256("TREASURY_ROLE")
# @dev Pauses new bookings (a guardian); only DEFAULT_ADMIN_ROLE unpauses.
PAUSER_ROLE: public(constant(bytes32)) = keccak256("PAUSER_ROLE")
# @dev Basis points denominator.
BPS: public(constant(uint256)) = 10_000
# @dev Reservation fee on every booking (published): 0.25 %.
RESERVATION_FEE_BPS: public(constant(uint256)) = 25
# @dev Facilitation fee on USDC bookings (published): 2 %; IO bookings pay none.
FACILITATION_FEE_BPS: public(constant(uint256)) = 200
# @dev One billing hour in seconds.
HOUR_SECONDS: public(constant(uint256)) = 3_600
# @dev After a booking's end, how long the operator has to end it on its records before anyone may
#      settle it in full: one record interval (records are due at least every 24 h).
GRACE_SECONDS: public(constant(uint256)) = 86_400
# @dev Longest booking: 10 years of hours (fits the 24-bit field with room).
MAX_HOURS: public(constant(uint256)) = 87_600
# @dev Highest hourly rate, in base units (the 96-bit field): about 7.9e10 IO or 7.9e22 USDC per hour.
MAX_RATE: public(constant(uint256)) = (1 << 96) - 1
# @dev Most bookings one record_work_batch call may carry.
MAX_BATCH: public(constant(uint256)) = 256

# @dev Why a booking ended (BookingEnded.reason).
END_COMPLETED: public(constant(uint8)) = 1
END_BY_RENTER: public(constant(uint8)) = 2
END_BY_OPERATOR: public(constant(uint8)) = 3
END_EXPIRED: public(constant(uint8)) = 4

# Word A of a booking.
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_HOURS_SHIFT: constant(uint256) = 160
_RECORDED_SHIFT: constant(uint256) = 184
_START_SHIFT: constant(uint256) = 208
_MASK24: constant(uint256) = (1 << 24) - 1
_MASK40: constant(uint256) = (1 << 40) - 1
_OPEN_FLAG: constant(uint256) = 1 << 248
_IO_FLAG: constant(uint256) = 1 << 249
# Clears hours_recorded and the open flag of word A.
_CLEAR_RECORDED_AND_OPEN: constant(uint256) = ~((_MASK24 << _RECORDED_SHIFT) | _OPEN_FLAG)
# Word B of a booking.
_RATE_SHIFT: constant(uint256) = 160
# Ledger word.
_MASK128: constant(uint256) = (1 << 128) - 1


# @dev The two currencies: Circle's USDC of this network (6 decimals) and the IO token.
USDC: public(immutable(address))
IO: public(immutable(address))
# @dev Node staking: which devices may be booked and who owns them.
STAKING: public(immutable(INodeStaking))


# @dev The packed words of each booking (see the header); ids start at 1.
_booking_a: HashMap[uint256, uint256]
_booking_b: HashMap[uint256, uint256]
# @dev Per currency: escrow (low 128 bits) and the sum of credited balances (high 128 bits).
_ledger: HashMap[address, uint256]
# @dev Id the next booking gets (starts at 1, so 0 is never a booking).
next_booking_id: public(uint256)
# @dev What each account (provider or renter) may withdraw, per currency: balances[account][token].
balances: public(HashMap[address, HashMap[address, uint256]])
# @dev Fees accrued per currency, withdrawn by the treasury role.
fees: public(HashMap[address, uint256])


# @dev Decoded view of one booking.
struct Booking:
    renter: address
    provider: address
    token: address
    hours: uint256
    hours_recorded: uint256
    rate: uint256
    start: uint256
    end: uint256
    open: bool


# @dev A new booking, with every term an indexer needs.
event Booked:
    device: indexed(bytes32)
    renter: indexed(address)
    provider: indexed(address)
    booking_id: uint256
    token: address
    hours: uint256
    rate: uint256
    start: uint256
    end: uint256
    cost: uint256
    reservation_fee: uint256
    facilitation_fee: uint256
    max_total: uint256


# @dev Worked hours recorded for a booking and credited to its provider.
event WorkRecorded:
    booking_id: indexed(uint256)
    provider: indexed(address)
    token: address
    hours: uint256
    amount: uint256
    hours_recorded: uint256


# @dev A booking closed: `hours_paid` of its hours are the provider's (provider_amount credited now,
#      on top of earlier records); `refund` was credited to the renter.
event BookingEnded:
    booking_id: indexed(uint256)
    renter: indexed(address)
    provider: indexed(address)
    token: address
    reason: uint8
    ended_by: address
    hours_paid: uint256
    provider_amount: uint256
    refund: uint256


# @dev An account withdrew from its balance.
event Withdrawn:
    account: indexed(address)
    token: indexed(address)
    to: indexed(address)
    amount: uint256


# @dev The treasury withdrew fees.
event FeesWithdrawn:
    caller: indexed(address)
    token: indexed(address)
    to: indexed(address)
    amount: uint256


@deploy
def __init__(usdc: address, io: address, staking: address, admin: address, operator: address, treasury: address):
    """
    @notice Configures the two currencies and node staking, and grants the roles.
    @param usdc The network's USDC (6 decimals).
    @param io The IO token.
    @param staking Node staking (INodeStaking).
    @param admin Holder of DEFAULT_ADMIN_ROLE (grants roles, unpauses) and, at first, PAUSER_ROLE.
    @param operator Holder of OPERATOR_ROLE (records work).
    @param treasury Holder of TREASURY_ROLE (withdraws fees).
    """
    access_control.__init__()
    pausable.__init__()
    assert usdc != empty(address) and io != empty(address), "SettlementRouter: token is the zero address"
    assert usdc != io, "SettlementRouter: usdc and io are the same"
    assert staking != empty(address), "SettlementRouter: staking is the zero address"
    assert admin != empty(address), "SettlementRouter: admin is the zero address"
    assert staticcall IUSDC(usdc).decimals() == 6, "SettlementRouter: usdc does not have 6 decimals"
    USDC = usdc
    IO = io
    STAKING = INodeStaking(staking)
    self.next_booking_id = 1
    access_control._grant_role(OPERATOR_ROLE, operator)
    access_control._grant_role(TREASURY_ROLE, treasury)
    access_control._grant_role(PAUSER_ROLE, admin)
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)


# ------------------------------------------------------------------ booking
@external
@view
def quote(token: address, rate: uint256, hours: uint256) -> (uint256, uint256, uint256, uint256):
    """
    @notice What a booking costs, fees rounded up.
    @param token USDC or IO.
    @param rate Hourly rate in the token's base units.
    @param hours Hours booked.
    @return (cost, reservation_fee, facilitation_fee, total), total = what the renter pays.
    """
    return self._quote(self._is_io(token), rate, hours)


@external
@nonreentrant
def book(device: bytes32, token: address, hours: uint256, rate: uint256, max_total: uint256) -> uint256:
    """
    @notice Books `device` for `hours` at `rate` per hour, paying in `token` with an allowance
            given beforehand (approve). Anyone may book, unless new bookings are paused.
    @param device The device id in node staking; it must be eligible.
    @param token USDC or IO.
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in the token's base units, 1..MAX_RATE.
    @param max_total The most the caller accepts to pay, fees included.
    @return uint256 The booking id.
    """
    booking_id: uint256 = 0
    total: uint256 = 0
    booking_id, total = self._book(device, token, hours, rate, max_total)
    assert extcall IERC20(token).transferFrom(msg.sender, self, total, default_return_value=True)
    return booking_id


@external
@nonreentrant
def book_with_permit(device: bytes32, token: address, hours: uint256, rate: uint256, max_total: uint256,
                     deadline: uint256, v: uint8, r: bytes32, s: bytes32) -> uint256:
    """
    @notice As `book`, with an EIP-2612 permit for `max_total` signed by the caller to this router
            instead of a prior approve. A permit can be front-run (anyone may submit it first), so
            its failure is tolerated when the allowance already covers the total.
    @param device The device id in node staking; it must be eligible.
    @param token USDC or IO.
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in the token's base units, 1..MAX_RATE.
    @param max_total The most the caller accepts to pay, fees included; also the permit's value.
    @param deadline The permit's deadline (owner = caller, spender = this router, value = max_total).
    @param v The permit signature's v.
    @param r The permit signature's r.
    @param s The permit signature's s.
    @return uint256 The booking id.
    """
    booking_id: uint256 = 0
    total: uint256 = 0
    booking_id, total = self._book(device, token, hours, rate, max_total)
    ok: bool = raw_call(
        token,
        abi_encode(msg.sender, self, max_total, deadline, v, r, s,
                   method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)")),
        revert_on_failure=False,
    )
    if not ok:
        assert staticcall IERC20(token).allowance(msg.sender, self) >= total, \
            "SettlementRouter: permit failed and allowance too low"
    assert extcall IERC20(token).transferFrom(msg.sender, self, total, default_return_value=True)
    return booking_id


@external
@nonreentrant
def book_with_authorization(device: bytes32, hours: uint256, rate: uint256, max_total: uint256,
                            valid_after: uint256, valid_before: uint256, nonce: bytes32,
                            v: uint8, r: bytes32, s: bytes32) -> uint256:
    """
    @notice As `book` in USDC, paid by an EIP-3009 `receiveWithAuthorization` signed by the caller:
            no approve at all. Only this router can submit a receive-authorization made out to it,
            and only the signer may book with it, so it cannot be front-run or used for other terms.
    @param device The device id in node staking; it must be eligible.
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in USDC base units, 1..MAX_RATE.
    @param max_total The most the caller accepts to pay, fees included.
    @param valid_after The authorization is valid after this time (from = caller, to = this router,
           value = the booking's total as `quote` gives it).
    @param valid_before The authorization expires at this time.
    @param nonce The authorization's random 32-byte nonce.
    @param v The authorization signature's v.
    @param r The authorization signature's r.
    @param s The authorization signature's s.
    @return uint256 The booking id.
    """
    booking_id: uint256 = 0
    total: uint256 = 0
    booking_id, total = self._book(device, USDC, hours, rate, max_total)
    extcall IUSDC(USDC).receiveWithAuthorization(msg.sender, self, total, valid_after, valid_before, nonce, v, r, s)
    return booking_id


# ------------------------------------------------------------------ work records and endings
@external
@nonreentrant
def record_work(booking_id: uint256, hours: uint256):
    """
    @notice Records `hours` more worked hours of an open booking and credits its provider
            rate x hours. Recording the last booked hour completes the booking. Only OPERATOR_ROLE.
    @param booking_id The booking.
    @param hours Hours worked since the previous record; the total recorded may exceed neither the
           booked hours nor the hours started since the booking began.
    """
    access_control._check_role(OPERATOR_ROLE, msg.sender)
    is_io: bool = False
    amount: uint256 = 0
    is_io, amount = self._record(booking_id, hours)
    self._move_escrow_to_credited(self._token_of(is_io), amount)


@external
@nonreentrant
def record_work_batch(booking_ids: DynArray[uint256, MAX_BATCH], hours: DynArray[uint256, MAX_BATCH]):
    """
    @notice `record_work` for many bookings in one call (any mix of currencies and providers).
            Only OPERATOR_ROLE. All or nothing: one bad entry reverts the whole batch.
    @param booking_ids The bookings.
    @param hours Hours worked for each, in the same order.
    """
    access_control._check_role(OPERATOR_ROLE, msg.sender)
    assert len(booking_ids) == len(hours), "SettlementRouter: batch lengths differ"
    usdc_amount: uint256 = 0
    io_amount: uint256 = 0
    for i: uint256 in range(len(booking_ids), bound=MAX_BATCH):
        is_io: bool = False
        amount: uint256 = 0
        is_io, amount = self._record(booking_ids[i], hours[i])
        if is_io:
            io_amount += amount
        else:
            usdc_amount += amount
    if usdc_amount != 0:
        self._move_escrow_to_credited(USDC, usdc_amount)
    if io_amount != 0:
        self._move_escrow_to_credited(IO, io_amount)


@external
@nonreentrant
def end_booking(booking_id: uint256):
    """
    @notice The renter ends its booking now. The hours started so far (at least the first hour,
            which is never refunded) are the provider's; the unused hours are refunded to the
            renter's balance at the booking rate. Fees are not refunded. Only the booking's renter.
    @param booking_id The booking.
    """
    a: uint256 = self._booking_a[booking_id]
    assert a & _OPEN_FLAG != 0, "SettlementRouter: booking not open"
    b: uint256 = self._booking_b[booking_id]
    assert msg.sender == convert(b & _ADDRESS_MASK, address), "SettlementRouter: caller is not the renter"
    hours: uint256 = (a >> _HOURS_SHIFT) & _MASK24
    used: uint256 = min(hours, max(1, self._started_hours(a)))
    self._close(booking_id, a, b, used, END_BY_RENTER)


@external
@nonreentrant
def operator_end_booking(booking_id: uint256, final_hours: uint256):
    """
    @notice The operator records `final_hours` more worked hours (may be 0) and ends the booking on
            its records: the recorded hours (at least the first hour) are the provider's, the rest
            is refunded to the renter. Only OPERATOR_ROLE.
    @param booking_id The booking.
    @param final_hours Hours worked since the previous record.
    """
    access_control._check_role(OPERATOR_ROLE, msg.sender)
    a: uint256 = self._booking_a[booking_id]
    assert a & _OPEN_FLAG != 0, "SettlementRouter: booking not open"
    if final_hours != 0:
        is_io: bool = False
        amount: uint256 = 0
        is_io, amount = self._record(booking_id, final_hours)
        self._move_escrow_to_credited(self._token_of(is_io), amount)
        a = self._booking_a[booking_id]
        if a & _OPEN_FLAG == 0:
            return  # the final record completed the booking
    recorded: uint256 = (a >> _RECORDED_SHIFT) & _MASK24
    self._close(booking_id, a, self._booking_b[booking_id], max(1, recorded), END_BY_OPERATOR)


@external
@nonreentrant
def settle_expired(booking_id: uint256):
    """
    @notice Closes a booking whose end passed more than GRACE_SECONDS ago without a final record:
            its provider is credited every booked hour not yet recorded (the reservation ran its
            full term and nobody ended it early). Anyone may call it, the provider first of all.
    @param booking_id The booking.
    """
    a: uint256 = self._booking_a[booking_id]
    assert a & _OPEN_FLAG != 0, "SettlementRouter: booking not open"
    assert block.timestamp >= self._end_of(a) + GRACE_SECONDS, "SettlementRouter: grace period not over"
    self._close(booking_id, a, self._booking_b[booking_id], (a >> _HOURS_SHIFT) & _MASK24, END_EXPIRED)


# ------------------------------------------------------------------ withdrawals
@external
@nonreentrant
def withdraw(token: address, amount: uint256, to: address):
    """
    @notice Withdraws `amount` of the caller's balance in `token` (credited work or refunds) to
            `to`. Anyone with a balance. An account that USDC blacklisted cannot move its USDC out
            through the router (its balance stays, as at USDC itself); everyone else is unaffected.
    @param token USDC or IO.
    @param amount Base units, at most the caller's balance.
    @param to The recipient.
    """
    self._is_io(token)
    assert to != empty(address), "SettlementRouter: withdraw to the zero address"
    balance: uint256 = self.balances[msg.sender][token]
    assert amount <= balance, "SettlementRouter: amount exceeds balance"
    if token == USDC:
        assert not staticcall IUSDC(USDC).isBlacklisted(msg.sender), "SettlementRouter: account is blacklisted by usdc"
    # amount <= balance (asserted above).
    self.balances[msg.sender][token] = unsafe_sub(balance, amount)
    w: uint256 = self._ledger[token]
    # Every balance is part of the credited total (high half), so amount <= credited.
    self._ledger[token] = unsafe_sub(w, amount << 128)
    assert extcall IERC20(token).transfer(to, amount, default_return_value=True)
    log Withdrawn(account=msg.sender, token=token, to=to, amount=amount)


@external
@nonreentrant
def withdraw_fees(token: address, amount: uint256, to: address):
    """
    @notice Withdraws accrued fees. Only TREASURY_ROLE.
    @param token USDC or IO.
    @param amount Base units, at most the accrued fees.
    @param to The recipient.
    """
    access_control._check_role(TREASURY_ROLE, msg.sender)
    self._is_io(token)
    assert to != empty(address), "SettlementRouter: withdraw to the zero address"
    accrued: uint256 = self.fees[token]
    assert amount <= accrued, "SettlementRouter: amount exceeds fees"
    self.fees[token] = unsafe_sub(accrued, amount)
    assert extcall IERC20(token).transfer(to, amount, default_return_value=True)
    log FeesWithdrawn(caller=msg.sender, token=token, to=to, amount=amount)


# ------------------------------------------------------------------ admin
@external
def pause():
    """
    @notice Stops new bookings (records, endings and withdrawals go on). Only PAUSER_ROLE.
    """
    access_control._check_role(PAUSER_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Allows new bookings again. Only DEFAULT_ADMIN_ROLE.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    pausable._unpause()


# ------------------------------------------------------------------ views
@external
@view
def bookings(booking_id: uint256) -> Booking:
    """
    @notice One booking, decoded (all zero for an unknown id).
    @param booking_id The booking.
    @return Booking Its terms and state; `end` = start + hours * HOUR_SECONDS.
    """
    a: uint256 = self._booking_a[booking_id]
    b: uint256 = self._booking_b[booking_id]
    if a == 0:
        return empty(Booking)
    return Booking(
        renter=convert(b & _ADDRESS_MASK, address),
        provider=convert(a & _ADDRESS_MASK, address),
        token=self._token_of(a & _IO_FLAG != 0),
        hours=(a >> _HOURS_SHIFT) & _MASK24,
        hours_recorded=(a >> _RECORDED_SHIFT) & _MASK24,
        rate=b >> _RATE_SHIFT,
        start=(a >> _START_SHIFT) & _MASK40,
        end=self._end_of(a),
        open=a & _OPEN_FLAG != 0,
    )


@external
@view
def escrow_of(booking_id: uint256) -> uint256:
    """
    @notice What a booking still holds in escrow: rate x unrecorded hours while open, 0 once closed.
    @param booking_id The booking.
    @return uint256 Base units of the booking's token.
    """
    a: uint256 = self._booking_a[booking_id]
    if a & _OPEN_FLAG == 0:
        return 0
    return (((a >> _HOURS_SHIFT) & _MASK24) - ((a >> _RECORDED_SHIFT) & _MASK24)) * (self._booking_b[booking_id] >> _RATE_SHIFT)


@external
@view
def settleable_at(booking_id: uint256) -> uint256:
    """
    @notice When anyone may call `settle_expired` on the booking: its end plus GRACE_SECONDS.
    @param booking_id The booking.
    @return uint256 A unix time (0 for an unknown booking).
    """
    a: uint256 = self._booking_a[booking_id]
    if a == 0:
        return 0
    return self._end_of(a) + GRACE_SECONDS


@external
@view
def total_escrow(token: address) -> uint256:
    """
    @notice Sum of the escrow of every open booking in `token`.
    @param token USDC or IO.
    @return uint256 Base units.
    """
    return self._ledger[token] & _MASK128


@external
@view
def total_credited(token: address) -> uint256:
    """
    @notice Sum of every account's withdrawable balance in `token` (fees excluded).
    @param token USDC or IO.
    @return uint256 Base units.
    """
    return self._ledger[token] >> 128


# ------------------------------------------------------------------ internal
@internal
@view
def _is_io(token: address) -> bool:
    if token == USDC:
        return False
    assert token == IO, "SettlementRouter: unsupported token"
    return True


@internal
@view
def _token_of(is_io: bool) -> address:
    if is_io:
        return IO
    return USDC


@internal
@pure
def _ceil_bps(amount: uint256, bps: uint256) -> uint256:
    # Rounded up: the fee is never below its exact value.
    return (amount * bps + BPS - 1) // BPS


@internal
@pure
def _quote(is_io: bool, rate: uint256, hours: uint256) -> (uint256, uint256, uint256, uint256):
    cost: uint256 = rate * hours
    reservation: uint256 = self._ceil_bps(cost, RESERVATION_FEE_BPS)
    facilitation: uint256 = 0
    if not is_io:
        facilitation = self._ceil_bps(cost, FACILITATION_FEE_BPS)
    return cost, reservation, facilitation, cost + reservation + facilitation


@internal
@pure
def _end_of(a: uint256) -> uint256:
    return ((a >> _START_SHIFT) & _MASK40) + ((a >> _HOURS_SHIFT) & _MASK24) * HOUR_SECONDS


@internal
@view
def _started_hours(a: uint256) -> uint256:
    # Hours begun since the start, rounded up; block.timestamp >= start always.
    elapsed: uint256 = block.timestamp - ((a >> _START_SHIFT) & _MASK40)
    return (elapsed + HOUR_SECONDS - 1) // HOUR_SECONDS


@internal
def _book(device: bytes32, token: address, hours: uint256, rate: uint256, max_total: uint256) -> (uint256, uint256):
    pausable._require_not_paused()
    is_io: bool = self._is_io(token)
    assert hours != 0, "SettlementRouter: zero hours"
    assert hours <= MAX_HOURS, "SettlementRouter: too many hours"
    assert rate != 0, "SettlementRouter: zero rate"
    assert rate <= MAX_RATE, "SettlementRouter: rate too large"
    provider: address = staticcall STAKING.device_owner(device)
    assert provider != empty(address), "SettlementRouter: unknown device"
    assert staticcall STAKING.is_eligible(device), "SettlementRouter: device not eligible"

    cost: uint256 = 0
    reservation: uint256 = 0
    facilitation: uint256 = 0
    total: uint256 = 0
    cost, reservation, facilitation, total = self._quote(is_io, rate, hours)
    assert total <= max_total, "SettlementRouter: total above maximum"

    booking_id: uint256 = self.next_booking_id
    self.next_booking_id = booking_id + 1
    flags: uint256 = _OPEN_FLAG
    if is_io:
        flags |= _IO_FLAG
    self._booking_a[booking_id] = convert(provider, uint256) | (hours << _HOURS_SHIFT) | (block.timestamp << _START_SHIFT) | flags
    self._booking_b[booking_id] = convert(msg.sender, uint256) | (rate << _RATE_SHIFT)
    # cost < 2**96 * 2**17, and escrow is bounded by the token's supply (< 2**128) once paid.
    self._ledger[token] += cost
    self.fees[token] += reservation + facilitation
    log Booked(device=device, renter=msg.sender, provider=provider, booking_id=booking_id, token=token,
               hours=hours, rate=rate, start=block.timestamp, end=block.timestamp + hours * HOUR_SECONDS,
               cost=cost, reservation_fee=reservation, facilitation_fee=facilitation, max_total=max_total)
    return booking_id, total


@internal
def _record(booking_id: uint256, hours: uint256) -> (bool, uint256):
    """
    @dev Records `hours` for one booking and credits its provider; the caller moves the amount from
         escrow to credited in the ledger. Returns (is_io, amount).
    """
    a: uint256 = self._booking_a[booking_id]
    assert a & _OPEN_FLAG != 0, "SettlementRouter: booking not open"
    assert hours != 0, "SettlementRouter: zero hours"
    booked: uint256 = (a >> _HOURS_SHIFT) & _MASK24
    recorded: uint256 = ((a >> _RECORDED_SHIFT) & _MASK24) + hours
    assert recorded <= booked, "SettlementRouter: hours exceed booking"
    assert recorded <= self._started_hours(a), "SettlementRouter: hours not yet elapsed"
    a = (a & ~(_MASK24 << _RECORDED_SHIFT)) | (recorded << _RECORDED_SHIFT)
    completed: bool = recorded == booked
    if completed:
        a &= ~_OPEN_FLAG
    self._booking_a[booking_id] = a

    is_io: bool = a & _IO_FLAG != 0
    token: address = self._token_of(is_io)
    provider: address = convert(a & _ADDRESS_MASK, address)
    amount: uint256 = hours * (self._booking_b[booking_id] >> _RATE_SHIFT)
    self.balances[provider][token] += amount
    log WorkRecorded(booking_id=booking_id, provider=provider, token=token, hours=hours, amount=amount,
                     hours_recorded=recorded)
    if completed:
        log BookingEnded(booking_id=booking_id, renter=convert(self._booking_b[booking_id] & _ADDRESS_MASK, address),
                         provider=provider, token=token, reason=END_COMPLETED, ended_by=msg.sender,
                         hours_paid=booked, provider_amount=0, refund=0)
    return is_io, amount


@internal
def _close(booking_id: uint256, a: uint256, b: uint256, used: uint256, reason: uint8):
    """
    @dev Closes an open booking: `used` hours (>= hours_recorded, <= hours) are the provider's, the
         rest is refunded to the renter; its whole remaining escrow becomes credited balances.
    """
    hours: uint256 = (a >> _HOURS_SHIFT) & _MASK24
    recorded: uint256 = (a >> _RECORDED_SHIFT) & _MASK24
    rate: uint256 = b >> _RATE_SHIFT
    is_io: bool = a & _IO_FLAG != 0
    token: address = self._token_of(is_io)
    provider: address = convert(a & _ADDRESS_MASK, address)
    renter: address = convert(b & _ADDRESS_MASK, address)
    pay: uint256 = (used - recorded) * rate
    refund: uint256 = (hours - used) * rate
    self._booking_a[booking_id] = (a & _CLEAR_RECORDED_AND_OPEN) | (used << _RECORDED_SHIFT)
    if pay != 0:
        self.balances[provider][token] += pay
    if refund != 0:
        self.balances[renter][token] += refund
    self._move_escrow_to_credited(token, pay + refund)
    log BookingEnded(booking_id=booking_id, renter=renter, provider=provider, token=token, reason=reason,
                     ended_by=msg.sender, hours_paid=used, provider_amount=pay, refund=refund)


@internal
def _move_escrow_to_credited(token: address, amount: uint256):
    # escrow (low half) >= amount: it holds rate x unrecorded hours of every open booking, and
    # amount is part of that. credited (high half) stays below 2**128 (bounded by the supply).
    self._ledger[token] = unsafe_add(unsafe_sub(self._ledger[token], amount), amount << 128)

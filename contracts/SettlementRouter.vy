# pragma version ~=0.4.3
# pragma optimize gas
"""
@title IO Settlement Router
@custom:contract-name SettlementRouter
@license GNU Affero General Public License v3.0 only
@notice Where renters pay for compute and providers are paid (docs/economy.md, the published fee
        table of both sides). A renter books an eligible device (node staking's `is_eligible`) for
        a number of hours at an hourly rate, in USDC or in IO, naming the most it accepts to pay,
        or, through the market desk (contracts/MarketDesk.vy), in any other asset that has a
        configured Uniswap V3 pool into USDC (the desk buys exactly the USDC the booking costs on
        that pool, paid by the renter straight to the pool and by the pool straight to this router,
        and books it here: an ordinary USDC booking). The renter prepays rate x hours plus the
        renter-side fees: the reservation fee (25 bps, every booking) and, in USDC only, the
        facilitation fee (200 bps). The price is held in escrow; the fees go to the fee balance at
        once and are never refunded.
        The operator records worked hours at least every 24 h, for one or many bookings per call;
        each record pays the provider rate x hours less the supplier reservation fee (25 bps,
        "charged to the supplier upon payment for compute"), which goes to the fee balance.
        A booking ends:
          - when all its hours are recorded (completed);
          - early, by the renter (`end_booking`): the time elapsed so far, in started hours and at
            least the first hour, is the provider's; the rest is refunded to the renter;
          - early, by the operator (`operator_end_booking`): the recorded hours, at least the first
            hour, are the provider's; the rest is refunded (e.g. a device that stopped working);
          - by anyone, once GRACE_SECONDS have passed after its end with no final record
            (`settle_expired`): the reservation ran its full term and neither the renter nor the
            operator ended it, so the provider is credited every booked hour not yet recorded.
        Every payment to a provider at an ending bears the supplier reservation fee too.
        Nobody is ever paid by a push transfer. Providers withdraw their income (`withdraw`):
        a USDC income paid out in USDC bears the payment fee (200 bps); taken as IO instead
        (the desk's `withdraw_as_io`) it leaves to the desk with no payment fee and the desk sells
        it on the IO/USDC pool under the TWAP bound; an IO income withdraws in IO with no fee. Renters withdraw their refunds
        (`withdraw_refund`) with no fee at all; the treasury withdraws the fees. So a USDC-
        blacklisted provider or renter, or a USDC pause, blocks nobody else's booking, record,
        termination, refund or withdrawal.
        The router itself never trades. The market desk, the one holder of MARKET_DESK_ROLE, has
        two narrow entries here: `desk_book` books a USDC booking for a renter once the booking's
        total has been paid to the router (checked against the router's USDC balance), and
        `desk_withdraw` hands a provider's USDC income, without payment fee, to the desk, which
        swaps it to IO for that provider in the same call. Every trade is the desk's, bounded by the
        pool's TWAP (modules/guarded_swap.vy).
        No approve transaction is needed for USDC or IO: `book_with_permit` (EIP-2612) and
        `book_with_authorization` (EIP-3009 `receiveWithAuthorization`, USDC).
@dev Fees, each rounded UP to the next base unit (in the protocol's favour), each separately:
         renter side, at booking:
           cost              = rate * hours
           reservation_fee   = ceil(cost * 25 / 10_000)
           facilitation_fee  = ceil(cost * 200 / 10_000)  (USDC), 0 (IO)
           total             = cost + reservation_fee + facilitation_fee  <=  max_total
         supplier side:
           each payment for compute (a record, or the hours paid at an ending):
             gross = rate * hours paid;  supplier_fee = ceil(gross * 25 / 10_000);
             the provider's income grows by gross - supplier_fee
           each withdrawal of a USDC income in USDC:
             payment_fee = ceil(amount * 200 / 10_000); the recipient gets amount - payment_fee
           an income taken as IO, an IO income, and any refund: no payment fee.
     The supplier fee is rounded per payment, so recording a booking in many small records can
     cost its provider up to one base unit per record more than one large record would.
     Amounts are exact integers (whole hours times an integer rate in the token's base units), so
     the 6 decimals of USDC lose nothing: there is no per-second rate to truncate.
     Invariants (tests/unit/test_router_*.py and tests/fuzz/test_router_state_machine.py name them):
     1. conservation: for each currency, tokens held == total_escrow + total_credited + fees,
        total_credited = every income and refund balance, fees = renter, supplier and payment
        fees (tokens sent to the router outside a booking are the only possible surplus).
     2. provider_never_credited_more_than_booked: the hours paid for a booking never exceed its
        booked hours, so its provider receives at most rate * hours.
     3. renter_never_pays_more_than_max: a booking takes exactly `total`, and total <= max_total
        (through the desk with another asset: at most its max_asset_in, MarketDesk invariant 3).
     4. o1_in_bookings: every operation reads and writes a fixed number of slots whatever the number
        of bookings (a batch is linear in its own length only).
     5. provider_fixed_at_booking: the provider is the device owner at booking time, stored in the
        booking; later ownership changes cannot redirect its payments.
     6. closed_booking_never_reopens: a closed booking's escrow is zero and every record, ending
        or settlement of it reverts.
     7. provider_plus_fees_equals_cost: for every paid hour, what the provider is credited plus the
        supplier fee equals rate * hours.
     8. desk_books_only_what_was_paid: `desk_book` (MARKET_DESK_ROLE only) reverts unless the
        router's USDC balance covers its books including the new booking's total, so a desk
        booking never leaves the router owing more USDC than it holds (USDC sent to the router
        outside a booking, the only possible surplus, would count: the role is the market desk's
        alone, which has the pool pay the router before it books); `desk_withdraw` moves only
        the named account's USDC income, no fee, to the desk, never escrow, fees or refunds (the
        desk names its caller: nobody but the provider takes its income through it).
     9. only_usdc_and_io_held: after any call the router holds no token but USDC and IO; it
        trades nothing, so it never holds a swap input (the desk's trades pay the pool straight
        from the renter, or from the income the desk was handed in the same call).
     Storage is packed by hand (Vyper does not pack); each word is read only through its unpack
     helper and written only through its pack helper:
         booking word A: provider (0-159) | hours (160-183) | hours_recorded (184-207) |
                         start (208-247) | open (248) | paid in IO (249)
         booking word B: renter (0-159) | rate (160-255)
         ledger[token]:   escrow (0-127) | reservation fees (128-255)
         holdings[token]: held (0-127) | payment fees (128-255)
         balances[account][token]: income (0-127) | refunds (128-255)
     Reservation fees are the renter's reservation and facilitation fees and the supplier's
     reservation fees; `fees(token)` = reservation fees + payment fees, one fee balance withdrawn by
     the treasury. `held` is what the router holds of the token by its books, so
         total_credited = held - escrow - fees.
     So a record touches one ledger word (escrow into income and fee), and a USDC withdrawal one
     holdings word (the payout leaves, the payment fee stays).
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
# @dev The market desk (contracts/MarketDesk.vy): books paid bookings for the renter who paid and
#      takes a provider's USDC income, fee-free, to swap it to IO for that provider.
MARKET_DESK_ROLE: public(constant(bytes32)) = keccak256("MARKET_DESK_ROLE")
# @dev Basis points denominator.
BPS: public(constant(uint256)) = 10_000
# @dev Reservation fee on every booking, paid by the renter (published): 0.25 %.
RESERVATION_FEE_BPS: public(constant(uint256)) = 25
# @dev Facilitation fee on USDC bookings, paid by the renter (published): 2 %; IO bookings pay none.
FACILITATION_FEE_BPS: public(constant(uint256)) = 200
# @dev Reservation fee charged to the supplier on every payment for compute (published): 0.25 %.
SUPPLIER_RESERVATION_FEE_BPS: public(constant(uint256)) = 25
# @dev Payment fee when a supplier withdraws its income in USDC (published): 2 %; none in IO.
PAYMENT_FEE_BPS: public(constant(uint256)) = 200
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

# Field positions of the packed words (used only by the pack/unpack helpers).
_ADDRESS_MASK: constant(uint256) = (1 << 160) - 1
_HOURS_SHIFT: constant(uint256) = 160
_RECORDED_SHIFT: constant(uint256) = 184
_START_SHIFT: constant(uint256) = 208
_OPEN_SHIFT: constant(uint256) = 248
_IO_SHIFT: constant(uint256) = 249
_MASK24: constant(uint256) = (1 << 24) - 1
_MASK40: constant(uint256) = (1 << 40) - 1
_RATE_SHIFT: constant(uint256) = 160
_MASK128: constant(uint256) = (1 << 128) - 1


# @dev The two currencies: Circle's USDC of this network (6 decimals) and the IO token.
USDC: public(immutable(address))
IO: public(immutable(address))
# @dev Node staking: which devices may be booked and who owns them.
STAKING: public(immutable(INodeStaking))


# @dev Booking word A, decoded (see the layout in the header).
struct WordA:
    provider: address
    hours: uint256
    hours_recorded: uint256
    start: uint256
    open: bool
    is_io: bool


# @dev Booking word B, decoded.
struct WordB:
    renter: address
    rate: uint256


# @dev The packed words of each booking (see the header); ids start at 1.
_booking_a: HashMap[uint256, uint256]
_booking_b: HashMap[uint256, uint256]
# @dev Per currency: escrow (low 128 bits) and reservation fees (high 128 bits).
_ledger: HashMap[address, uint256]
# @dev Per currency: what the router holds by its books (escrow + credited + fees; low 128 bits)
#      and payment fees (high 128 bits).
_holdings: HashMap[address, uint256]
# @dev Id the next booking gets (starts at 1, so 0 is never a booking).
next_booking_id: public(uint256)
# @dev What each account may withdraw per currency, packed: income (low 128) | refunds (high 128).
_balances: HashMap[address, HashMap[address, uint256]]


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


# @dev A new booking, with every term an indexer needs (renter-side fees included).
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


# @dev Worked hours recorded for a booking: its provider's income grows by amount - supplier_fee.
event WorkRecorded:
    booking_id: indexed(uint256)
    provider: indexed(address)
    token: address
    hours: uint256
    amount: uint256
    supplier_fee: uint256
    hours_recorded: uint256


# @dev A booking closed: `hours_paid` of its hours are the provider's; provider_amount (gross, for
#      the hours not recorded before) is credited now less supplier_fee; `refund` went to the
#      renter's refunds.
event BookingEnded:
    booking_id: indexed(uint256)
    renter: indexed(address)
    provider: indexed(address)
    token: address
    reason: uint8
    ended_by: address
    hours_paid: uint256
    provider_amount: uint256
    supplier_fee: uint256
    refund: uint256


# @dev A provider withdrew `amount` of its income in `token`; `to` received amount - payment_fee.
#      A withdrawal through the market desk (MarketDesk.withdraw_as_io) is logged here too: token
#      USDC, `to` the desk, payment_fee 0; the desk logs its WithdrawnAsIO with the IO paid.
event Withdrawn:
    account: indexed(address)
    token: indexed(address)
    to: indexed(address)
    amount: uint256
    payment_fee: uint256


# @dev A renter withdrew `amount` of its refunds (no fee).
event RefundWithdrawn:
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
    @notice Configures the two currencies and node staking, and grants the roles. The market desk
            is deployed afterwards (it needs this router's address) and granted MARKET_DESK_ROLE by
            the admin.
    @param usdc The network's USDC (6 decimals).
    @param io The IO token.
    @param staking Node staking (INodeStaking).
    @param admin Holder of DEFAULT_ADMIN_ROLE (grants roles, among them MARKET_DESK_ROLE, unpauses)
           and, at first, PAUSER_ROLE.
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
    @notice What a booking costs the renter, fees rounded up.
    @param token USDC or IO.
    @param rate Hourly rate in the token's base units.
    @param hours Hours booked.
    @return (cost, reservation_fee, facilitation_fee, total), total = what the renter pays.
    """
    return self._quote(self._is_io(token), rate, hours)


@external
@view
def quote_payout(rate: uint256, hours: uint256) -> (uint256, uint256, uint256):
    """
    @notice What a provider is credited for `hours` paid at `rate` in one payment (a record).
    @param rate Hourly rate in the booking token's base units.
    @param hours Hours paid.
    @return (gross, supplier_fee, net), gross = rate x hours, net = what its income grows by.
    """
    gross: uint256 = rate * hours
    fee: uint256 = self._ceil_bps(gross, SUPPLIER_RESERVATION_FEE_BPS)
    return gross, fee, gross - fee


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
    booking_id, total = self._book(device, token, hours, rate, max_total, msg.sender)
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
    booking_id, total = self._book(device, token, hours, rate, max_total, msg.sender)
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
    booking_id, total = self._book(device, USDC, hours, rate, max_total, msg.sender)
    extcall IUSDC(USDC).receiveWithAuthorization(msg.sender, self, total, valid_after, valid_before, nonce, v, r, s)
    return booking_id


@external
@view
def quote_desk_booking(device: bytes32, renter: address, hours: uint256, rate: uint256) -> uint256:
    """
    @notice What a USDC booking of `device` by `renter` would cost in total now, fees included;
            reverts with the reason `desk_book` would (paused, bad terms, ineligible device, renter
            blacklisted by USDC). The market desk asks it before buying the USDC.
    @param device The device id in node staking.
    @param renter The account that would book and pay.
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in USDC base units, 1..MAX_RATE.
    @return uint256 The total in USDC base units.
    """
    self._check_not_blacklisted(renter)
    provider: address = self._check_terms(device, hours, rate)
    cost: uint256 = 0
    reservation: uint256 = 0
    facilitation: uint256 = 0
    total: uint256 = 0
    cost, reservation, facilitation, total = self._quote(False, rate, hours)
    return total


@external
@nonreentrant
def desk_book(device: bytes32, renter: address, hours: uint256, rate: uint256, max_total: uint256) -> uint256:
    """
    @notice Books `device` in USDC for `renter`, whose payment the market desk had the pool send to
            this router in the same transaction (MarketDesk.book_with_asset). Reverts unless the
            router's USDC balance covers its books with this booking's total
            ("booking not paid"). Only MARKET_DESK_ROLE; not for a renter USDC blacklisted; not
            while new bookings are paused. Logs `Booked` as every booking does.
    @param device The device id in node staking; it must be eligible.
    @param renter The account that paid and books.
    @param hours Hours booked, 1..MAX_HOURS.
    @param rate Hourly rate in USDC base units, 1..MAX_RATE.
    @param max_total The most the renter pays, fees included (the desk passes the quoted total).
    @return uint256 The booking id.
    """
    access_control._check_role(MARKET_DESK_ROLE, msg.sender)
    self._check_not_blacklisted(renter)
    booking_id: uint256 = 0
    total: uint256 = 0
    booking_id, total = self._book(device, USDC, hours, rate, max_total, renter)
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[USDC])
    assert staticcall IERC20(USDC).balanceOf(self) >= held, "SettlementRouter: booking not paid"
    return booking_id


# ------------------------------------------------------------------ work records and endings
@external
@nonreentrant
def record_work(booking_id: uint256, hours: uint256):
    """
    @notice Records `hours` more worked hours of an open booking: its provider's income grows by
            rate x hours less the supplier reservation fee. Recording the last booked hour
            completes the booking. Only OPERATOR_ROLE.
    @param booking_id The booking.
    @param hours Hours worked since the previous record; the total recorded may exceed neither the
           booked hours nor the hours started since the booking began.
    """
    access_control._check_role(OPERATOR_ROLE, msg.sender)
    is_io: bool = False
    amount: uint256 = 0
    fee: uint256 = 0
    is_io, amount, fee = self._record(booking_id, hours)
    self._pay_from_escrow(self._token_of(is_io), amount, fee)


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
    usdc_fee: uint256 = 0
    io_amount: uint256 = 0
    io_fee: uint256 = 0
    for i: uint256 in range(len(booking_ids), bound=MAX_BATCH):
        is_io: bool = False
        amount: uint256 = 0
        fee: uint256 = 0
        is_io, amount, fee = self._record(booking_ids[i], hours[i])
        if is_io:
            io_amount += amount
            io_fee += fee
        else:
            usdc_amount += amount
            usdc_fee += fee
    if usdc_amount != 0:
        self._pay_from_escrow(USDC, usdc_amount, usdc_fee)
    if io_amount != 0:
        self._pay_from_escrow(IO, io_amount, io_fee)


@external
@nonreentrant
def end_booking(booking_id: uint256):
    """
    @notice The renter ends its booking now. The hours started so far (at least the first hour,
            which is never refunded) are the provider's (less the supplier fee); the unused hours
            are refunded to the renter's refunds at the booking rate. Fees are not refunded. Only
            the booking's renter.
    @param booking_id The booking.
    """
    a: WordA = self._open_booking(booking_id)
    b: WordB = self._unpack_b(self._booking_b[booking_id])
    assert msg.sender == b.renter, "SettlementRouter: caller is not the renter"
    used: uint256 = min(a.hours, max(1, self._started_hours(a.start)))
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
    a: WordA = self._open_booking(booking_id)
    if final_hours != 0:
        is_io: bool = False
        amount: uint256 = 0
        fee: uint256 = 0
        is_io, amount, fee = self._record(booking_id, final_hours)
        self._pay_from_escrow(self._token_of(is_io), amount, fee)
        a = self._unpack_a(self._booking_a[booking_id])
        if not a.open:
            return  # the final record completed the booking
    self._close(booking_id, a, self._unpack_b(self._booking_b[booking_id]), max(1, a.hours_recorded), END_BY_OPERATOR)


@external
@nonreentrant
def settle_expired(booking_id: uint256):
    """
    @notice Closes a booking whose end passed more than GRACE_SECONDS ago without a final record:
            its provider is credited every booked hour not yet recorded, less the supplier fee (the
            reservation ran its full term and nobody ended it early). Anyone may call it, the
            provider first of all.
    @param booking_id The booking.
    """
    a: WordA = self._open_booking(booking_id)
    assert block.timestamp >= self._end_of(a) + GRACE_SECONDS, "SettlementRouter: grace period not over"
    self._close(booking_id, a, self._unpack_b(self._booking_b[booking_id]), a.hours, END_EXPIRED)


# ------------------------------------------------------------------ withdrawals
@external
@view
def quote_withdraw(token: address, amount: uint256) -> (uint256, uint256):
    """
    @notice What a provider's `withdraw` of `amount` of its income pays out.
    @param token USDC or IO.
    @param amount Base units taken from the income.
    @return (payment_fee, paid_out): 2 % rounded up in USDC, 0 in IO; paid_out = amount - fee.
    """
    fee: uint256 = 0
    if not self._is_io(token):
        fee = self._ceil_bps(amount, PAYMENT_FEE_BPS)
    return fee, amount - fee


@external
@nonreentrant
def withdraw(token: address, amount: uint256, to: address):
    """
    @notice Withdraws `amount` of the caller's income (credited work) in `token` to `to`. A USDC
            income paid in USDC bears the payment fee (PAYMENT_FEE_BPS, rounded up): `to` receives
            amount - fee. An IO income pays no fee. Anyone with an income. An account that USDC
            blacklisted cannot move its USDC out through the router (its balance stays, as at USDC
            itself); everyone else is unaffected.
    @param token USDC or IO.
    @param amount Base units taken from the income, at most the caller's income.
    @param to The recipient.
    """
    fee: uint256 = self._withdraw(msg.sender, token, amount, to, False, False)
    log Withdrawn(account=msg.sender, token=token, to=to, amount=amount, payment_fee=fee)


@external
@nonreentrant
def desk_withdraw(account: address, amount: uint256):
    """
    @notice Hands `amount` of `account`'s USDC income to the market desk (the caller), with no
            payment fee, for the desk to swap it to IO for `account` in the same call
            (MarketDesk.withdraw_as_io, which passes its own caller as `account`). Logs `Withdrawn`
            (token USDC, to the desk, payment_fee 0). Only MARKET_DESK_ROLE; not for an account
            USDC blacklisted.
    @param account The provider whose income is taken.
    @param amount USDC base units, at most the account's USDC income.
    """
    access_control._check_role(MARKET_DESK_ROLE, msg.sender)
    self._withdraw(account, USDC, amount, msg.sender, False, True)
    log Withdrawn(account=account, token=USDC, to=msg.sender, amount=amount, payment_fee=0)


@external
@nonreentrant
def withdraw_refund(token: address, amount: uint256, to: address):
    """
    @notice Withdraws `amount` of the caller's refunds in `token` to `to`, with no fee. Anyone with
            refunds; an account that USDC blacklisted cannot move its USDC out.
    @param token USDC or IO.
    @param amount Base units, at most the caller's refunds.
    @param to The recipient.
    """
    self._withdraw(msg.sender, token, amount, to, True, False)
    log RefundWithdrawn(account=msg.sender, token=token, to=to, amount=amount)


@external
@nonreentrant
def withdraw_fees(token: address, amount: uint256, to: address):
    """
    @notice Withdraws accrued fees (renter, supplier and payment fees alike). Only TREASURY_ROLE.
    @param token USDC or IO.
    @param amount Base units, at most the accrued fees.
    @param to The recipient.
    """
    access_control._check_role(TREASURY_ROLE, msg.sender)
    self._is_io(token)
    self._check_payout(amount, to)
    escrow: uint256 = 0
    reservation_fees: uint256 = 0
    escrow, reservation_fees = self._unpack_ledger(self._ledger[token])
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    assert amount <= reservation_fees + payment_fees, "SettlementRouter: amount exceeds fees"
    # Payment fees first, then reservation fees; amount <= fees <= held.
    from_payment: uint256 = min(amount, payment_fees)
    self._holdings[token] = self._pack_holdings(unsafe_sub(held, amount), unsafe_sub(payment_fees, from_payment))
    if from_payment != amount:
        self._ledger[token] = self._pack_ledger(escrow, unsafe_sub(reservation_fees, unsafe_sub(amount, from_payment)))
    self._send(token, to, amount)
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
    word: uint256 = self._booking_a[booking_id]
    if word == 0:
        return empty(Booking)
    a: WordA = self._unpack_a(word)
    b: WordB = self._unpack_b(self._booking_b[booking_id])
    return Booking(renter=b.renter, provider=a.provider, token=self._token_of(a.is_io), hours=a.hours,
                   hours_recorded=a.hours_recorded, rate=b.rate, start=a.start, end=self._end_of(a), open=a.open)


@external
@view
def escrow_of(booking_id: uint256) -> uint256:
    """
    @notice What a booking still holds in escrow: rate x unrecorded hours while open, 0 once closed.
    @param booking_id The booking.
    @return uint256 Base units of the booking's token.
    """
    a: WordA = self._unpack_a(self._booking_a[booking_id])
    if not a.open:
        return 0
    return (a.hours - a.hours_recorded) * self._unpack_b(self._booking_b[booking_id]).rate


@external
@view
def settleable_at(booking_id: uint256) -> uint256:
    """
    @notice When anyone may call `settle_expired` on the booking: its end plus GRACE_SECONDS.
    @param booking_id The booking.
    @return uint256 A unix time (0 for an unknown booking).
    """
    word: uint256 = self._booking_a[booking_id]
    if word == 0:
        return 0
    return self._end_of(self._unpack_a(word)) + GRACE_SECONDS


@external
@view
def income(account: address, token: address) -> uint256:
    """
    @notice A provider's income in `token`: credited work, net of the supplier fee, not yet withdrawn.
    @param account The provider (or any account).
    @param token USDC or IO.
    @return uint256 Base units.
    """
    income: uint256 = 0
    refunds: uint256 = 0
    income, refunds = self._unpack_balance(self._balances[account][token])
    return income


@external
@view
def refunds(account: address, token: address) -> uint256:
    """
    @notice A renter's refunds in `token` (unused hours of ended bookings), not yet withdrawn.
    @param account The renter (or any account).
    @param token USDC or IO.
    @return uint256 Base units.
    """
    income: uint256 = 0
    refunds: uint256 = 0
    income, refunds = self._unpack_balance(self._balances[account][token])
    return refunds


@external
@view
def total_escrow(token: address) -> uint256:
    """
    @notice Sum of the escrow of every open booking in `token`.
    @param token USDC or IO.
    @return uint256 Base units.
    """
    escrow: uint256 = 0
    fees: uint256 = 0
    escrow, fees = self._unpack_ledger(self._ledger[token])
    return escrow


@external
@view
def fees(token: address) -> uint256:
    """
    @notice Fees accrued in `token` and not yet withdrawn: renter reservation and facilitation
            fees, supplier reservation fees and payment fees.
    @param token USDC or IO.
    @return uint256 Base units.
    """
    return self._fees(token)


@external
@view
def total_credited(token: address) -> uint256:
    """
    @notice Sum of every account's withdrawable balance in `token`: incomes and refunds (fees
            excluded).
    @param token USDC or IO.
    @return uint256 Base units.
    """
    escrow: uint256 = 0
    reservation_fees: uint256 = 0
    escrow, reservation_fees = self._unpack_ledger(self._ledger[token])
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    return held - escrow - reservation_fees - payment_fees


@external
@view
def total_held(token: address) -> uint256:
    """
    @notice What the router holds of `token` by its books: escrow + credited + fees.
    @param token USDC or IO.
    @return uint256 Base units.
    """
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    return held


# ------------------------------------------------------------------ internal: packed words
@internal
@pure
def _unpack_a(word: uint256) -> WordA:
    return WordA(
        provider=convert(word & _ADDRESS_MASK, address),
        hours=(word >> _HOURS_SHIFT) & _MASK24,
        hours_recorded=(word >> _RECORDED_SHIFT) & _MASK24,
        start=(word >> _START_SHIFT) & _MASK40,
        open=(word >> _OPEN_SHIFT) & 1 != 0,
        is_io=(word >> _IO_SHIFT) & 1 != 0,
    )


@internal
@pure
def _pack_a(a: WordA) -> uint256:
    # hours, hours_recorded <= MAX_HOURS < 2^24; start is a block time < 2^40 (year 36,812).
    return (convert(a.provider, uint256) | (a.hours << _HOURS_SHIFT) | (a.hours_recorded << _RECORDED_SHIFT)
            | (a.start << _START_SHIFT) | (convert(a.open, uint256) << _OPEN_SHIFT)
            | (convert(a.is_io, uint256) << _IO_SHIFT))


@internal
@pure
def _unpack_b(word: uint256) -> WordB:
    return WordB(renter=convert(word & _ADDRESS_MASK, address), rate=word >> _RATE_SHIFT)


@internal
@pure
def _pack_b(b: WordB) -> uint256:
    # rate <= MAX_RATE < 2^96.
    return convert(b.renter, uint256) | (b.rate << _RATE_SHIFT)


@internal
@pure
def _unpack_ledger(word: uint256) -> (uint256, uint256):
    # (escrow, fees)
    return word & _MASK128, word >> 128


@internal
@pure
def _pack_ledger(escrow: uint256, fees: uint256) -> uint256:
    # Both are parts of what the router holds of one token, below its supply (< 2^128).
    return escrow | (fees << 128)


@internal
@pure
def _unpack_holdings(word: uint256) -> (uint256, uint256):
    # (held, payment fees)
    return word & _MASK128, word >> 128


@internal
@pure
def _pack_holdings(held: uint256, payment_fees: uint256) -> uint256:
    # held is below the token's supply (< 2^128), payment fees are part of it.
    return held | (payment_fees << 128)


@internal
@pure
def _unpack_balance(word: uint256) -> (uint256, uint256):
    # (income, refunds)
    return word & _MASK128, word >> 128


@internal
@pure
def _pack_balance(income: uint256, refunds: uint256) -> uint256:
    # Both are parts of what the router holds of one token, below its supply (< 2^128).
    return income | (refunds << 128)


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
def _check_payout(amount: uint256, to: address):
    assert to != empty(address), "SettlementRouter: withdraw to the zero address"
    assert amount != 0, "SettlementRouter: zero amount"


@internal
@view
def _check_not_blacklisted(account: address):
    assert not staticcall IUSDC(USDC).isBlacklisted(account), "SettlementRouter: account is blacklisted by usdc"


@internal
def _send(token: address, to: address, amount: uint256):
    assert extcall IERC20(token).transfer(to, amount, default_return_value=True)


@internal
def _withdraw(account: address, token: address, amount: uint256, to: address, refund: bool, by_desk: bool) -> uint256:
    """
    @dev Pays `amount` of `account`'s income (refund False) or refunds (True) in `token` to `to`,
         less the payment fee on a USDC income withdrawn in USDC (`by_desk`: handed to the
         market desk to be taken as IO, no fee); returns the fee. USDC-blacklisted
         accounts cannot move USDC out.
    """
    is_io: bool = self._is_io(token)
    self._check_payout(amount, to)
    income: uint256 = 0
    refunds: uint256 = 0
    income, refunds = self._unpack_balance(self._balances[account][token])
    fee: uint256 = 0
    if refund:
        self._check_balance(amount, refunds)
        refunds = unsafe_sub(refunds, amount)
    else:
        self._check_balance(amount, income)
        income = unsafe_sub(income, amount)
    if not is_io:
        self._check_not_blacklisted(account)
        if not refund and not by_desk:
            # Rounded up; fee <= amount. amount < 2^128 (a part of what the router holds): no overflow.
            fee = unsafe_div(unsafe_add(unsafe_mul(amount, PAYMENT_FEE_BPS), BPS - 1), BPS)
    self._balances[account][token] = self._pack_balance(income, refunds)
    paid: uint256 = unsafe_sub(amount, fee)
    self._take_out(token, paid, fee)
    self._send(token, to, paid)
    return fee


@internal
def _take_out(token: address, amount: uint256, payment_fee: uint256):
    # `amount` leaves the router and `payment_fee` stays as a fee: amount + payment_fee was
    # credited, so amount <= credited <= held.
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    self._holdings[token] = self._pack_holdings(unsafe_sub(held, amount), payment_fees + payment_fee)


@internal
@view
def _fees(token: address) -> uint256:
    escrow: uint256 = 0
    reservation_fees: uint256 = 0
    escrow, reservation_fees = self._unpack_ledger(self._ledger[token])
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    return reservation_fees + payment_fees


@internal
@pure
def _check_balance(amount: uint256, available: uint256):
    assert amount <= available, "SettlementRouter: amount exceeds balance"


@internal
def _credit(account: address, token: address, income_amount: uint256, refund_amount: uint256):
    income: uint256 = 0
    refunds: uint256 = 0
    income, refunds = self._unpack_balance(self._balances[account][token])
    self._balances[account][token] = self._pack_balance(income + income_amount, refunds + refund_amount)


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
@view
def _open_booking(booking_id: uint256) -> WordA:
    a: WordA = self._unpack_a(self._booking_a[booking_id])
    assert a.open, "SettlementRouter: booking not open"
    return a


@internal
@pure
def _end_of(a: WordA) -> uint256:
    return a.start + a.hours * HOUR_SECONDS


@internal
@view
def _started_hours(start: uint256) -> uint256:
    # Hours begun since the start, rounded up; block.timestamp >= start always.
    elapsed: uint256 = block.timestamp - start
    return (elapsed + HOUR_SECONDS - 1) // HOUR_SECONDS


@internal
@view
def _check_terms(device: bytes32, hours: uint256, rate: uint256) -> address:
    # Every booking's terms; returns the device's owner, the booking's provider. (snekmate's
    # `_require_not_paused` is not @view: the same check and reason, inline.)
    assert not pausable.paused, "pausable: contract is paused"
    assert hours != 0, "SettlementRouter: zero hours"
    assert hours <= MAX_HOURS, "SettlementRouter: too many hours"
    assert rate != 0, "SettlementRouter: zero rate"
    assert rate <= MAX_RATE, "SettlementRouter: rate too large"
    provider: address = staticcall STAKING.device_owner(device)
    assert provider != empty(address), "SettlementRouter: unknown device"
    assert staticcall STAKING.is_eligible(device), "SettlementRouter: device not eligible"
    return provider


@internal
def _book(device: bytes32, token: address, hours: uint256, rate: uint256, max_total: uint256,
          renter: address) -> (uint256, uint256):
    is_io: bool = self._is_io(token)
    provider: address = self._check_terms(device, hours, rate)

    cost: uint256 = 0
    reservation: uint256 = 0
    facilitation: uint256 = 0
    total: uint256 = 0
    cost, reservation, facilitation, total = self._quote(is_io, rate, hours)
    assert total <= max_total, "SettlementRouter: total above maximum"

    booking_id: uint256 = self.next_booking_id
    self.next_booking_id = booking_id + 1
    self._booking_a[booking_id] = self._pack_a(WordA(provider=provider, hours=hours, hours_recorded=0,
                                                     start=block.timestamp, open=True, is_io=is_io))
    self._booking_b[booking_id] = self._pack_b(WordB(renter=renter, rate=rate))
    # cost < 2**96 * 2**17, and escrow and fees are bounded by the token's supply (< 2**128) once paid.
    escrow: uint256 = 0
    fees: uint256 = 0
    escrow, fees = self._unpack_ledger(self._ledger[token])
    self._ledger[token] = self._pack_ledger(escrow + cost, fees + reservation + facilitation)
    held: uint256 = 0
    payment_fees: uint256 = 0
    held, payment_fees = self._unpack_holdings(self._holdings[token])
    self._holdings[token] = self._pack_holdings(held + total, payment_fees)
    log Booked(device=device, renter=renter, provider=provider, booking_id=booking_id, token=token,
               hours=hours, rate=rate, start=block.timestamp, end=block.timestamp + hours * HOUR_SECONDS,
               cost=cost, reservation_fee=reservation, facilitation_fee=facilitation, max_total=max_total)
    return booking_id, total


@internal
def _record(booking_id: uint256, hours: uint256) -> (bool, uint256, uint256):
    """
    @dev Records `hours` for one booking and credits its provider the amount less the supplier fee;
         the caller moves the amount out of escrow in the ledger. Returns (is_io, amount, fee).
    """
    a: WordA = self._open_booking(booking_id)
    assert hours != 0, "SettlementRouter: zero hours"
    recorded: uint256 = a.hours_recorded + hours
    assert recorded <= a.hours, "SettlementRouter: hours exceed booking"
    assert recorded <= self._started_hours(a.start), "SettlementRouter: hours not yet elapsed"
    a.hours_recorded = recorded
    completed: bool = recorded == a.hours
    if completed:
        a.open = False
    self._booking_a[booking_id] = self._pack_a(a)

    token: address = self._token_of(a.is_io)
    b: WordB = self._unpack_b(self._booking_b[booking_id])
    amount: uint256 = hours * b.rate
    fee: uint256 = self._ceil_bps(amount, SUPPLIER_RESERVATION_FEE_BPS)
    # fee <= amount: ceil of 0.25 % of it.
    self._credit(a.provider, token, unsafe_sub(amount, fee), 0)
    log WorkRecorded(booking_id=booking_id, provider=a.provider, token=token, hours=hours, amount=amount,
                     supplier_fee=fee, hours_recorded=recorded)
    if completed:
        log BookingEnded(booking_id=booking_id, renter=b.renter, provider=a.provider, token=token,
                         reason=END_COMPLETED, ended_by=msg.sender, hours_paid=a.hours, provider_amount=0,
                         supplier_fee=0, refund=0)
    return a.is_io, amount, fee


@internal
def _close(booking_id: uint256, a: WordA, b: WordB, used: uint256, reason: uint8):
    """
    @dev Closes an open booking: `used` hours (>= hours_recorded, <= hours) are the provider's (less
         the supplier fee), the rest is refunded to the renter; its whole remaining escrow leaves.
    """
    token: address = self._token_of(a.is_io)
    pay: uint256 = (used - a.hours_recorded) * b.rate
    refund: uint256 = (a.hours - used) * b.rate
    fee: uint256 = self._ceil_bps(pay, SUPPLIER_RESERVATION_FEE_BPS)
    closed: WordA = a
    closed.hours_recorded = used
    closed.open = False
    self._booking_a[booking_id] = self._pack_a(closed)
    if pay != 0:
        # fee <= pay.
        self._credit(a.provider, token, unsafe_sub(pay, fee), 0)
    if refund != 0:
        self._credit(b.renter, token, 0, refund)
    escrow: uint256 = 0
    fees: uint256 = 0
    escrow, fees = self._unpack_ledger(self._ledger[token])
    # escrow holds rate x unrecorded hours of this booking, i.e. pay + refund.
    self._ledger[token] = self._pack_ledger(unsafe_sub(escrow, pay + refund), fees + fee)
    log BookingEnded(booking_id=booking_id, renter=b.renter, provider=a.provider, token=token, reason=reason,
                     ended_by=msg.sender, hours_paid=used, provider_amount=pay, supplier_fee=fee, refund=refund)


@internal
def _pay_from_escrow(token: address, amount: uint256, fee: uint256):
    # escrow >= amount: it holds rate x unrecorded hours of every open booking, and amount is part
    # of that; the provider's share (amount - fee) is now credited, the fee joins the fees.
    escrow: uint256 = 0
    fees: uint256 = 0
    escrow, fees = self._unpack_ledger(self._ledger[token])
    self._ledger[token] = self._pack_ledger(unsafe_sub(escrow, amount), fees + fee)

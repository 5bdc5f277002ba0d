import { shippedCatalog } from '../../../domain/src/testing/catalog.fixture';
import { ProgramCatalogHandler, ProgramHandler, ProgramQuery } from './program-catalog';

describe('the program catalog', () => {
  const catalog = shippedCatalog();

  it('lists every program with its standards, and one program by code (none for an unknown code)', async () => {
    const { programs } = await new ProgramCatalogHandler(catalog).execute();
    expect(programs.map((program) => program.code)).toEqual(catalog.programs.map((program) => program.code));
    const boarding = await new ProgramHandler(catalog).execute(new ProgramQuery('BOARDING_LIVING_SUBSIDY'));
    expect(boarding?.standards[0]).toEqual({ from: '2011-09-01', rule: 'fixed', amounts: { primary: ['500.00'], junior: ['625.00'] } });
    expect(await new ProgramHandler(catalog).execute(new ProgramQuery('NOPE'))).toBeUndefined();
  });
});
